package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// pairsLakeForCLI writes LAKE/pairs/source=s with two parts of pairs, threads of three pairs
// sharing a prompt, and returns the number of pairs and of distinct prompts.
func pairsLakeForCLI(t *testing.T, lakeDir string) (pairs, prompts int) {
	t.Helper()
	w, err := lake.OpenWriter[schemas.Pair](lakeDir, "pairs", "source=s", lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for seq := uint64(1); seq <= 4; seq++ {
		var rows []schemas.Pair
		for th := 0; th < 50; th++ {
			thread := fmt.Sprintf("%d-%d", seq, th)
			for k := 0; k < 3; k++ {
				rows = append(rows, schemas.Pair{PairID: fmt.Sprintf("%s-%d", thread, k), Source: "s", Dump: "d", ThreadID: thread,
					Prompt: "Question " + thread + "?", Chosen: "yes", Rejected: fmt.Sprint("no ", k), Split: schemas.SplitOf("s", "d", thread)})
			}
		}
		if err := w.Append(rows, seq); err != nil {
			t.Fatal(err)
		}
		pairs += len(rows)
		if seq%2 == 0 {
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return pairs, 4 * 50
}

// TestPromptsCommand ingests a prompts file with bad lines twice and the prompts of a lake,
// through the CLI on an embedded JetStream.
func TestPromptsCommand(t *testing.T) {
	work := t.TempDir()
	data, lakeDir := filepath.Join(work, "data"), filepath.Join(work, "lake")
	file := filepath.Join(work, "eval-set.jsonl")
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, fmt.Sprintf(`{"prompt":"Prompt %d: explain %s."}`, i, strings.Repeat("why ", i%9)))
	}
	bad := []string{`{"prompt":`, `{"prompt":""}`, `{"text":7}`}
	lines = append(lines[:100], append(bad, lines[100:]...)...)
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := mustCLI(t, "--data-dir", data, "ingest", "prompts", file, "--quiet", "--checkpoint-bytes", "2KB")
	want := file + ": 300 prompts (jsonl) -> prompts.eval-set; 3 dead letters -> dlq.ingest.prompts\n"
	if out != want {
		t.Fatalf("ingest printed\n%q\nwant\n%q", out, want)
	}
	batches := streamCount(t, data, bus.StreamPrompts, "prompts.eval-set")
	if batches == 0 || streamCount(t, data, bus.StreamDeadLetters, "dlq.ingest.prompts") != 3 {
		t.Fatalf("%d batches, %d dead letters", batches, streamCount(t, data, bus.StreamDeadLetters, "dlq.ingest.prompts"))
	}
	out = mustCLI(t, "--data-dir", data, "ingest", "prompts", file, "--quiet")
	if !strings.Contains(out, "300 prompts") || !strings.Contains(out, "already ingested") {
		t.Fatalf("rerun printed\n%s", out)
	}
	if n := streamCount(t, data, bus.StreamPrompts, "prompts.>"); n != batches {
		t.Fatalf("the rerun left %d batches, want %d", n, batches)
	}

	// The prompts of the lake's pairs, once each.
	pairs, distinct := pairsLakeForCLI(t, lakeDir)
	out = mustCLI(t, "--data-dir", data, "ingest", "prompts", "--from-lake", lakeDir)
	want = fmt.Sprintf("%s: %d distinct prompts of %d rows (%d repeated, 0 without a prompt) -> prompts.lake; 0 dead letters -> dlq.ingest.prompts\n",
		lakeDir, distinct, pairs, pairs-distinct)
	if out != want {
		t.Fatalf("ingest --from-lake printed\n%q\nwant\n%q", out, want)
	}
	if streamCount(t, data, bus.StreamPrompts, "prompts.lake") == 0 {
		t.Fatal("nothing on prompts.lake")
	}
}

func TestPromptsCommandErrors(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	file := filepath.Join(work, "p.txt")
	os.WriteFile(file, []byte("a prompt\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"ingest", "prompts"}, "give FILE arguments or --from-lake DIR"},
		{[]string{"ingest", "prompts", "--format", "csv", file}, `unknown format "csv"`},
		{[]string{"ingest", "prompts", "--source", "a.b", file}, `bad source "a.b"`},
		{[]string{"ingest", "prompts", "--source", "x", "--from-lake", work}, "--source names the source of FILE arguments"},
		{[]string{"ingest", "prompts", "--from-lake", filepath.Join(work, "nope")}, "prompts: lake: stat"},
		{[]string{"ingest", "prompts", "--from-lake", work}, "no committed Parquet parts under " + work},
	} {
		args := append([]string{"--data-dir", data, "--log-level", "fatal"}, tt.args...)
		out, err := rankingsCLI(testContext(t), args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("prefstream %s: %v (printed %q), want %q", strings.Join(tt.args, " "), err, out, tt.want)
		}
	}
}
