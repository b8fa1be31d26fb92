package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/featurize"
	"github.com/prefstream/prefstream/internal/bus"
)

// TestDLQListAndShow: the dead letters of a run are counted per subject with their reasons, and
// shown with their origin.
func TestDLQListAndShow(t *testing.T) {
	lines := []string{
		`{"id":"c1","link_id":"t3_s1","parent_id":"t3_s1","body":"fine","score":3,"author":"a","created_utc":1001}`,
		`{"id":"c3","link_id":"t3_s1","parent_id":"t3_s1","body":"not json`,
		`{"id":"c4","link_id":"t3_s1","parent_id":"t3_s1","body":"wrong type","score":{"up":1},"author":"c","created_utc":1003}`,
	}
	path := filepath.Join(t.TempDir(), "RC_2015-06.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := testGlobals(t)
	if _, err := runPipeline(testContext(t), g, []input{{"reddit", path}}, pipelineOptions{lake: filepath.Join(t.TempDir(), "lake"),
		recipes: recipesWith(t, "reddit=siblings"), workers: 1, quiet: true}); err != nil {
		t.Fatal(err)
	}
	out, err := modelsCLI(t, "--data-dir", g.bus.DataDir, "dlq", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dlq.ingest.reddit  2 ") || strings.Count(out, "1x ") != 2 {
		t.Errorf("dlq list:\n%s", out)
	}
	out, err = modelsCLI(t, "--data-dir", g.bus.DataDir, "dlq", "show", "dlq.ingest.*", "--limit", "1")
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(out), "\n"); len(rows) != 2 || !strings.Contains(rows[1], "RC_2015-06.ndjson:") {
		t.Errorf("dlq show --limit 1 (the header and the oldest, with its file and offset):\n%s", out)
	}
	if out, err = modelsCLI(t, "--data-dir", g.bus.DataDir, "dlq", "list", "dlq.sink.>"); err != nil || !strings.Contains(out, "no dead letters on dlq.sink.>") {
		t.Errorf("an empty subject: %v\n%s", err, out)
	}
}

// TestDLQRetryJobs: retry-jobs moves the abandoned job of the dumps asked for, and only those,
// from the dead letters back to featurize's queue.
func TestDLQRetryJobs(t *testing.T) {
	site := filepath.Join(t.TempDir(), "orphan.stackexchange.com")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	posts := "<posts>\n  <row Id=\"1\" PostTypeId=\"1\" Score=\"5\" Title=\"q\" Body=\"a question\" />\n</posts>\n"
	if err := os.WriteFile(filepath.Join(site, "Posts.xml"), []byte(posts), 0o644); err != nil {
		t.Fatal(err)
	}
	g := testGlobals(t)
	if _, err := runPipeline(testContext(t), g, []input{{"stackexchange", site}},
		pipelineOptions{lake: filepath.Join(t.TempDir(), "lake"), recipes: map[string]featurize.Recipe{}, workers: 1, quiet: true}); err == nil {
		t.Fatal("the run without a recipe must fail")
	}
	queued := func() (dead, jobs uint64) {
		t.Helper()
		ctx := testContext(t)
		b, err := g.connect(ctx, "test")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		counts, err := bus.DeadLetterCounts(ctx, b.JS, deadJobsSubject)
		if err != nil {
			t.Fatal(err)
		}
		s, err := b.JS.Stream(ctx, bus.StreamJobs)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return counts[deadJobsSubject], info.State.Msgs
	}
	if dead, jobs := queued(); dead != 1 || jobs != 0 {
		t.Fatalf("after the failed run: %d dead jobs, %d queued; want 1, 0", dead, jobs)
	}
	if _, err := modelsCLI(t, "--data-dir", g.bus.DataDir, "dlq", "retry-jobs", "--dump", "other.stackexchange.com"); err != nil {
		t.Fatal(err)
	}
	if dead, jobs := queued(); dead != 1 || jobs != 0 {
		t.Fatalf("retrying another dump moved this one: %d dead jobs, %d queued", dead, jobs)
	}
	if _, err := modelsCLI(t, "--data-dir", g.bus.DataDir, "dlq", "retry-jobs"); err != nil {
		t.Fatal(err)
	}
	if dead, jobs := queued(); dead != 0 || jobs != 1 {
		t.Fatalf("after retry-jobs: %d dead jobs, %d queued; want 0, 1", dead, jobs)
	}
}
