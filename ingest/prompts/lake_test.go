package prompts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// writeParts commits each group of pairs as one message (stream sequence seqs[i]) and parts of
// two messages each, into root/pairs/<partition>, with row groups of 3 rows.
func writeParts(t *testing.T, root, partition string, seqs []uint64, groups [][]schemas.Pair) {
	t.Helper()
	w, err := lake.OpenWriter[schemas.Pair](root, "pairs", partition, lake.Options{RowGroupRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i, g := range groups {
		if err := w.Append(g, seqs[i]); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 || i == len(groups)-1 {
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// thread is k pairs of one question: they share its prompt and split.
func thread(source, prompt string, k int) []schemas.Pair {
	split := schemas.SplitOf(source, "d", prompt)
	out := make([]schemas.Pair, k)
	for i := range out {
		out[i] = schemas.Pair{PairID: fmt.Sprintf("%s-%d", prompt, i), Source: source, Dump: "d", ThreadID: prompt,
			Prompt: prompt, Chosen: "c", Rejected: fmt.Sprint("r", i), Split: split, Recipe: "askell/v1", Basis: "votes"}
	}
	return out
}

// testLake builds a lake of two sources whose pairs repeat prompts within a thread, across
// parts and across sources, with a pair without a prompt; it returns the distinct prompts in
// the order FromLake reads them (partitions in path order, parts in manifest order).
func testLake(t *testing.T) (root string, want []string) {
	t.Helper()
	root = t.TempDir()
	var a, b [][]schemas.Pair
	for i := 0; i < 9; i++ {
		a = append(a, append(thread("a", fmt.Sprintf("Question A%d?", i), 1+i%4), thread("a", fmt.Sprintf("Question A%d?", i/2), 2)...))
		b = append(b, thread("b", fmt.Sprintf("Question A%d?", 2*i), 2)) // half of them seen in a
	}
	b[3] = append(b[3], schemas.Pair{PairID: "empty", Source: "b", Prompt: "", Chosen: "x", Rejected: "y", Split: schemas.SplitTrain})
	writeParts(t, root, "source=a", []uint64{1, 3, 5, 7, 9, 11, 13, 15, 17}, a)
	writeParts(t, root, "source=b", []uint64{2, 4, 6, 8, 10, 12, 14, 16, 18}, b)
	seen := map[string]bool{}
	for _, groups := range [][][]schemas.Pair{a, b} {
		for _, g := range groups {
			for _, p := range g {
				if p.Prompt != "" && !seen[p.Prompt] {
					seen[p.Prompt] = true
					want = append(want, p.Prompt)
				}
			}
		}
	}
	return root, want
}

func TestFromLake(t *testing.T) {
	root, want := testLake(t)
	b := testBus(t)
	ctx := testContext(t)
	res, err := FromLake(ctx, b, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, batches := streamPrompts(t, b, "prompts.lake")
	if res.Subject != "prompts.lake" || res.Skipped || res.Counts.Prompts != int64(len(want)) || len(rows) != len(want) || res.Counts.Empty != 1 ||
		res.Counts.Lines != res.Counts.Prompts+res.Counts.Repeats+res.Counts.Empty || int64(batches) != res.Counts.Batches {
		t.Fatalf("result %+v; stream holds %d prompts in %d batches, want %d", res, len(rows), batches, len(want))
	}
	for i, p := range rows {
		source := strings.TrimPrefix(strings.Split(p.SourceFile, "/")[1], "source=")
		if p.Text != want[i] || p.PromptID != schemas.PromptID("lake", want[i]) || p.Source != "lake" ||
			p.Split != schemas.SplitOf(source, "d", p.Text) || !strings.HasPrefix(p.SourceFile, "pairs/source=") {
			t.Fatalf("prompt %d: %+v, want %q", i, p, want[i])
		}
		// The lineage points at a row holding the prompt.
		var found string
		n := int64(0)
		if err := lake.Scan(filepath.Join(root, p.SourceFile), func(_ string, rows []schemas.Pair) error {
			for _, r := range rows {
				if n == p.Offset {
					found = r.Prompt
				}
				n++
			}
			return nil
		}); err != nil || found != p.Text {
			t.Fatalf("prompt %d: row %d of %s holds %q (%v)", i, p.Offset, p.SourceFile, found, err)
		}
	}

	// A rerun finds every part done: nothing new.
	again, err := FromLake(ctx, b, root, Options{})
	if err != nil || !again.Skipped || again.Counts != res.Counts {
		t.Fatalf("rerun: %v %+v", err, again)
	}
	// Without checkpoints, every batch is re-sent and dropped as a duplicate.
	dropCheckpoints(t, b)
	again, err = FromLake(ctx, b, root, Options{})
	if err != nil || again.Counts.Batches != 0 || again.Counts.Duplicates != int64(batches) {
		t.Fatalf("rerun without checkpoints: %v %+v", err, again)
	}
	if rows, n := streamPrompts(t, b, "prompts.lake"); len(rows) != len(want) || n != batches {
		t.Fatalf("after reruns %d prompts in %d batches", len(rows), n)
	}
	// The pairs dataset and one partition are accepted too; a partition is read alone.
	for _, dir := range []string{filepath.Join(root, "pairs"), filepath.Join(root, "pairs", "source=b")} {
		b2 := testBus(t)
		if _, err := FromLake(ctx, b2, dir, Options{}); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		rows, _ := streamPrompts(t, b2, "prompts.lake")
		if dir == filepath.Join(root, "pairs") && len(rows) != len(want) {
			t.Fatalf("from %s: %d prompts, want %d", dir, len(rows), len(want))
		}
		if strings.HasSuffix(dir, "source=b") && (len(rows) != 9 || !strings.HasPrefix(rows[0].SourceFile, "part-")) {
			t.Fatalf("from %s: %d prompts, first %+v", dir, len(rows), rows[0])
		}
	}
}

// TestFromLakeResumes interrupts the lake ingest partway and runs it again: every distinct
// prompt ends up in the stream exactly once, in the same order as an uninterrupted run.
func TestFromLakeResumes(t *testing.T) {
	root, want := testLake(t)
	b := testBus(t)
	ctx, cancel := context.WithCancel(testContext(t))
	calls := 0
	o := Options{CheckpointBytes: 1, Progress: func(read, total int64) {
		if calls++; calls == 7 {
			cancel()
		}
	}}
	if _, err := FromLake(ctx, b, root, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted ingest: %v", err)
	}
	if rows, _ := streamPrompts(t, b, "prompts.lake"); len(rows) == 0 || len(rows) >= len(want) {
		t.Fatalf("the interrupted run stored %d of %d prompts", len(rows), len(want))
	}
	o.Progress = nil
	res, err := FromLake(testContext(t), b, root, o)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := streamPrompts(t, b, "prompts.lake")
	if len(rows) != len(want) || res.Counts.Prompts != int64(len(want)) {
		t.Fatalf("after resuming: %d prompts stored, %d counted; want %d", len(rows), res.Counts.Prompts, len(want))
	}
	for i, p := range rows {
		if p.Text != want[i] {
			t.Fatalf("prompt %d is %q, want %q", i, p.Text, want[i])
		}
	}
}

func TestFromLakeErrors(t *testing.T) {
	b := testBus(t)
	ctx := testContext(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	docs := t.TempDir()
	w, err := lake.OpenWriter[schemas.Document](docs, "documents", "source=x", lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Append([]schemas.Document{{ID: "1", Text: "t"}}, 1)
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(dir, "missing"), "prompts: lake: stat " + filepath.Join(dir, "missing")},
		{file, "is not a directory"},
		{dir, "no committed Parquet parts under " + dir},
		{docs, "lacks columns [prompt split]"},
	} {
		if _, err := FromLake(ctx, b, tt.dir, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromLake(%s): %v, want %q", tt.dir, err, tt.want)
		}
	}
}
