package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
