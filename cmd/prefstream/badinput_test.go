package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/featurize"
)

// TestPipelineBadInput feeds a site with one bad thing of each kind: every one is counted or
// reported with file and offset, and the good thread still gives its pairs.
func TestPipelineBadInput(t *testing.T) {
	site := filepath.Join(t.TempDir(), "bad.stackexchange.com")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 9<<20)
	rows := []string{
		`<row Id="1" PostTypeId="1" Score="5" Title="How do I sort?" Body="&lt;p&gt;Sorting a list&lt;/p&gt;" />`,
		`<row Id="2" PostTypeId="2" ParentId="1" Score="0" Body="&lt;p&gt;zero&lt;/p&gt;" />`,
		`<row Id="3" PostTypeId="2" ParentId="1" Score="1" Body="&lt;p&gt;one&lt;/p&gt;" />`,
		`<row Id="4" PostTypeId="2" ParentId="1" Score="3" Body="&lt;p&gt;three&lt;/p&gt;" />`,
		`<row Id="5" PostTypeId="2" ParentId="1" Score="lots" Body="non-numeric score" />`,
		`<row Id="6" PostTypeId="2" ParentId="1" Score="1" Body="unterminated />`,
		`<row Id="7" PostTypeId="2" ParentId="999" Score="2" Body="&lt;p&gt;orphan&lt;/p&gt;" />`,
		`<row Id="8" PostTypeId="2" ParentId="1" Score="2" Body="` + huge + `" />`,
		`<row Id="9" PostTypeId="2" ParentId="1" Score="4" Body="cut off`,
	}
	content := "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<posts>\r\n  " + strings.Join(rows, "\r\n  ")
	posts := filepath.Join(site, "Posts.xml")
	if err := os.WriteFile(posts, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(t.TempDir(), "lake")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := runPipeline(ctx, testGlobals(t), []input{{"stackexchange", site}}, pipelineOptions{lake: lakeDir, recipes: defaultRecipes(t), workers: 1, quiet: true})
	if err == nil || !strings.Contains(err.Error(), "Posts.xml") || !strings.Contains(err.Error(), fmt.Sprint(strings.Index(content, "<row Id=\"9\""))) {
		t.Fatalf("a truncated file must be reported with its name and the offset of the cut row, got %v", err)
	}
	if sum == nil {
		t.Fatal("no summary")
	}
	if got := sum.Pairs["stackexchange"]; got != 3 {
		t.Fatalf("the good thread (scores 0, 1, 2) gives 3 pairs, got %d", got)
	}
	// Ingest: non-numeric score, unterminated attribute, body over the max payload; featurize: the orphan.
	if got := sum.DeadLetters["stackexchange"]; got != 4 {
		t.Fatalf("dead letters = %d, want 4 (summary %+v)", got, sum)
	}
}

// TestPipelineBadRedditLines feeds a month with a line that is not JSON and one whose score has
// the wrong type: both are dead-lettered with their reason and the good thread still pairs.
func TestPipelineBadRedditLines(t *testing.T) {
	lines := []string{
		`{"id":"s1","name":"t3_s1","title":"Which editor?","selftext":"Vim or Emacs?","score":50,"author":"op","subreddit":"x","is_self":true,"over_18":false,"created_utc":1000}`,
		`{"id":"c1","link_id":"t3_s1","parent_id":"t3_s1","body":"Vim, because modal editing is fast.","score":3,"author":"a","created_utc":1001}`,
		`{"id":"c2","link_id":"t3_s1","parent_id":"t3_s1","body":"Emacs: everything is a buffer.","score":9,"author":"b","created_utc":1002}`,
		`{"id":"c3","link_id":"t3_s1","parent_id":"t3_s1","body":"not json`,
		`{"id":"c4","link_id":"t3_s1","parent_id":"t3_s1","body":"wrong type","score":{"up":1},"author":"c","created_utc":1003}`,
	}
	path := filepath.Join(t.TempDir(), "RC_2015-06.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(t.TempDir(), "lake")
	sum, err := runPipeline(testContext(t), testGlobals(t), []input{{"reddit", path}}, pipelineOptions{lake: lakeDir, recipes: recipesWith(t, "reddit=siblings"), workers: 1, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.DeadLetters["reddit"] != 2 || sum.Documents["reddit"] != 3 || sum.Pairs["reddit"] != 1 {
		t.Fatalf("want 3 documents, 2 dead letters and the one sibling pair, got %+v", sum)
	}
}

// TestPipelineAbandonedJob: when featurize gives a dump's grouping job up (here: no recipe for
// its source, a permanent error), the pipeline fails and names the dump, rather than ending
// with a summary that looks complete; run again, it retries the job.
func TestPipelineAbandonedJob(t *testing.T) {
	site := filepath.Join(t.TempDir(), "orphan.stackexchange.com")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	rows := `<row Id="1" PostTypeId="1" Score="5" Title="q" Body="a question" />
  <row Id="2" PostTypeId="2" ParentId="1" Score="0" Body="zero" />
  <row Id="3" PostTypeId="2" ParentId="1" Score="2" Body="two" />`
	if err := os.WriteFile(filepath.Join(site, "Posts.xml"), []byte("<posts>\n  "+rows+"\n</posts>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g, lakeDir := testGlobals(t), filepath.Join(t.TempDir(), "lake")
	sum, err := runPipeline(ctx, g, []input{{"stackexchange", site}},
		pipelineOptions{lake: lakeDir, recipes: map[string]featurize.Recipe{}, workers: 1, quiet: true})
	if err == nil || !strings.Contains(err.Error(), "featurize gave up on orphan.stackexchange.com") || !strings.Contains(err.Error(), "no recipe") {
		t.Fatalf("want an error naming the abandoned dump and why, got %v", err)
	}
	if sum == nil || sum.Documents["stackexchange"] != 3 || sum.Pairs["stackexchange"] != 0 {
		t.Fatalf("summary %+v, want 3 documents and no pairs", sum)
	}

	// Run again, the recipe now known: the dump is already ingested, so only a retry of the
	// abandoned job can give its pair.
	sum, err = runPipeline(ctx, g, []input{{"stackexchange", site}},
		pipelineOptions{lake: lakeDir, recipes: defaultRecipes(t), workers: 1, quiet: true})
	if err != nil {
		t.Fatalf("the second run: %v", err)
	}
	if sum.Pairs["stackexchange"] != 1 {
		t.Fatalf("summary %+v after the retry, want 1 pair", sum)
	}
}
