package lake

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

const (
	dataset   = "pairs"
	partition = "source=se"
)

// pairsOf are the rows of the message with sequence seq.
func pairsOf(seq uint64, n int) []schemas.Pair {
	rows := make([]schemas.Pair, n)
	for i := range rows {
		rows[i] = schemas.Pair{
			PairID: fmt.Sprintf("%d/%d", seq, i), Source: "se", Dump: "ai", ThreadID: fmt.Sprint(seq),
			Prompt: "why?", Chosen: fmt.Sprintf("because %d", i), Rejected: "no",
			ChosenScore: float64(i), RejectedScore: -1, Margin: float64(i) + 1, Split: schemas.SplitTrain,
			Recipe: "askell/v1", Basis: "votes",
		}
	}
	return rows
}

func openPairs(t *testing.T, root string, o Options) *Writer[schemas.Pair] {
	t.Helper()
	w, err := OpenWriter[schemas.Pair](root, dataset, partition, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustAppend(t *testing.T, w *Writer[schemas.Pair], seq uint64, n int) {
	t.Helper()
	if err := w.Append(pairsOf(seq, n), seq); err != nil {
		t.Fatalf("append %d: %v", seq, err)
	}
}

func mustCommit(t *testing.T, w *Writer[schemas.Pair]) Entry {
	t.Helper()
	e, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func scanAll(t *testing.T, path string) []schemas.Pair {
	t.Helper()
	var got []schemas.Pair
	if err := Scan(path, func(_ string, rows []schemas.Pair) error {
		got = append(got, rows...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// want is what the lake must hold: committed messages, in commit order, with their row counts.
type want struct {
	seqs []uint64
	rows []int
}

func (wt want) pairs() []schemas.Pair {
	var all []schemas.Pair
	for i, seq := range wt.seqs {
		all = append(all, pairsOf(seq, wt.rows[i])...)
	}
	return all
}

func checkLake(t *testing.T, w *Writer[schemas.Pair], root string, wt want) {
	t.Helper()
	for seq := uint64(0); seq <= 20; seq++ {
		if got, committed := w.Committed(seq), slices.Contains(wt.seqs, seq); got != committed {
			t.Errorf("Committed(%d) = %v, want %v", seq, got, committed)
		}
	}
	got := scanAll(t, root)
	if wantRows := wt.pairs(); len(got) != len(wantRows) || (len(got) > 0 && !reflect.DeepEqual(got, wantRows)) {
		t.Errorf("lake holds %d rows, want %d: got %v", len(got), len(wantRows), got)
	}
}

func TestWriterAppendCommitReopen(t *testing.T) {
	type op struct {
		do   string // append, commit, abort, reopen
		seq  uint64
		rows int
	}
	add := func(seq uint64, rows int) op { return op{do: "append", seq: seq, rows: rows} }
	commit, abort, reopen := op{do: "commit"}, op{do: "abort"}, op{do: "reopen"}
	tests := []struct {
		name string
		ops  []op
		want want
	}{
		{"nothing", []op{commit, reopen}, want{}},
		{"one part, gaps between seqs, empty message", []op{add(1, 2), add(3, 1), add(7, 0), commit, reopen},
			want{[]uint64{1, 3, 7}, []int{2, 1, 0}}},
		{"part of empty messages only", []op{add(4, 0), add(5, 0), commit, reopen},
			want{[]uint64{4, 5}, []int{0, 0}}},
		{"redelivery into the open part is ignored", []op{add(1, 2), add(2, 1), add(1, 2), add(2, 1), commit, reopen},
			want{[]uint64{1, 2}, []int{2, 1}}},
		{"redelivery of a committed seq is ignored", []op{add(1, 2), commit, add(1, 2), add(2, 3), commit, reopen, add(2, 3), commit},
			want{[]uint64{1, 2}, []int{2, 3}}},
		{"abort drops the open part", []op{add(1, 1), commit, add(2, 1), abort, add(3, 1), commit},
			want{[]uint64{1, 3}, []int{1, 1}}},
		{"reopen drops the open part", []op{add(1, 1), commit, add(2, 1), reopen},
			want{[]uint64{1}, []int{1}}},
		{"redelivered after reopen", []op{add(1, 1), commit, add(2, 1), reopen, add(1, 1), add(2, 4), commit},
			want{[]uint64{1, 2}, []int{1, 4}}},
		{"many parts", []op{add(1, 1), add(2, 2), commit, add(5, 1), add(9, 3), commit, reopen, add(9, 3), add(10, 2), commit, commit},
			want{[]uint64{1, 2, 5, 9, 10}, []int{1, 2, 1, 3, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			w := openPairs(t, root, Options{})
			for _, op := range tt.ops {
				switch op.do {
				case "append":
					mustAppend(t, w, op.seq, op.rows)
				case "commit":
					mustCommit(t, w)
				case "abort":
					if err := w.Abort(); err != nil {
						t.Fatal(err)
					}
				case "reopen":
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					w = openPairs(t, root, Options{})
				}
			}
			checkLake(t, w, root, tt.want)
			checkNoTemp(t, filepath.Join(root, dataset, partition))
		})
	}
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	temps, _ := filepath.Glob(filepath.Join(dir, ".part-*"))
	if len(temps) > 0 {
		t.Errorf("temp files left: %v", temps)
	}
}

func TestCommitEntryAndManifest(t *testing.T) {
	root := t.TempDir()
	w := openPairs(t, root, Options{})
	if rows, bytes, seqs := w.Pending(); rows != 0 || bytes != 0 || seqs != 0 {
		t.Fatalf("Pending of a new writer = %d, %d, %d", rows, bytes, seqs)
	}
	mustAppend(t, w, 4, 3)
	mustAppend(t, w, 5, 2)
	mustAppend(t, w, 9, 1)
	if rows, bytes, seqs := w.Pending(); rows != 6 || bytes <= 0 || seqs != 3 {
		t.Fatalf("Pending = %d, %d, %d; want 6 rows, some bytes, 3 seqs", rows, bytes, seqs)
	}
	e := mustCommit(t, w)
	if rows, _, seqs := w.Pending(); rows != 0 || seqs != 0 {
		t.Fatalf("Pending after commit = %d rows, %d seqs", rows, seqs)
	}
	if e.File != "part-00000000000000000004-00000000000000000009.parquet" || e.FirstSeq != 4 || e.LastSeq != 9 ||
		e.Seqs != 3 || e.Rows != 6 || len(e.SHA256) != 64 || !reflect.DeepEqual(e.Ranges, Ranges{{4, 5}, {9, 9}}) {
		t.Fatalf("entry = %+v", e)
	}
	st, err := os.Stat(filepath.Join(root, dataset, partition, e.File))
	if err != nil || st.Size() != e.Bytes {
		t.Fatalf("file: %v, size %d, entry says %d", err, st.Size(), e.Bytes)
	}
	entries, err := ReadManifest(filepath.Join(root, dataset, partition))
	if err != nil || len(entries) != 1 || !reflect.DeepEqual(entries[0], e) {
		t.Fatalf("ReadManifest = %+v, %v; want [%+v]", entries, err, e)
	}
	if e, err := w.Commit(); err != nil || !reflect.DeepEqual(e, Entry{}) {
		t.Fatalf("empty commit = %+v, %v", e, err)
	}
}

func TestAppendOutOfOrder(t *testing.T) {
	root := t.TempDir()
	w := openPairs(t, root, Options{})
	mustAppend(t, w, 5, 1)
	if err := w.Append(pairsOf(3, 1), 3); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("append 3 after 5 = %v, want ErrOutOfOrder", err)
	}
	mustCommit(t, w)
	mustAppend(t, w, 3, 1)
	mustCommit(t, w)
	checkLake(t, w, root, want{[]uint64{5, 3}, []int{1, 1}})
}

func TestOpenWriterLocksPartition(t *testing.T) {
	root := t.TempDir()
	openPairs(t, root, Options{})
	if _, err := OpenWriter[schemas.Pair](root, dataset, partition, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second OpenWriter = %v, want ErrLocked", err)
	}
}

func TestOpenWriterBadNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", ".hidden", "_manifest"} {
		if _, err := OpenWriter[schemas.Pair](t.TempDir(), "pairs", name, Options{}); err == nil {
			t.Errorf("partition %q accepted", name)
		}
	}
}

// crash abandons a writer the way a killed process does: its files stay as they are.
func crash(w *Writer[schemas.Pair]) {
	if w.part != nil {
		w.part.tmp.Close()
	}
	w.manifest.Close()
}

// TestCrashRecovery puts the partition in the state a crash leaves at each step of a commit of
// seq 3 (after seqs 1 and 2 were committed) and checks that reopening keeps exactly the commits
// that completed, and that the redelivered message then commits.
func TestCrashRecovery(t *testing.T) {
	committed := want{[]uint64{1, 2}, []int{2, 3}}
	withThree := want{[]uint64{1, 2, 3}, []int{2, 3, 4}}
	tests := []struct {
		name  string
		crash func(t *testing.T, w *Writer[schemas.Pair], dir string)
		want  want
	}{
		{"while appending: temp file left", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			crash(w)
		}, committed},
		{"after closing and syncing the temp file", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			if err := w.part.pw.Close(); err != nil {
				t.Fatal(err)
			}
			w.part.tmp.Sync()
			crash(w)
		}, committed},
		{"after rename, before the manifest line", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			unwritten(t, w, dir, func(line []byte) []byte { return nil })
		}, committed},
		{"torn manifest line", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			unwritten(t, w, dir, func(line []byte) []byte { return line[:len(line)/2] })
		}, committed},
		{"manifest line all but its newline", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			unwritten(t, w, dir, func(line []byte) []byte { return line[:len(line)-1] })
		}, committed},
		{"manifest line zero-filled", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			unwritten(t, w, dir, func(line []byte) []byte { return make([]byte, len(line)) })
		}, committed},
		{"after the manifest line", func(t *testing.T, w *Writer[schemas.Pair], dir string) {
			mustAppend(t, w, 3, 4)
			mustCommit(t, w)
			crash(w)
		}, withThree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, dataset, partition)
			w, err := OpenWriter[schemas.Pair](root, dataset, partition, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustAppend(t, w, 1, 2)
			mustAppend(t, w, 2, 3)
			mustCommit(t, w)
			tt.crash(t, w, dir)

			w = openPairs(t, root, Options{})
			checkLake(t, w, root, tt.want)
			checkNoTemp(t, dir)
			parts, _ := filepath.Glob(filepath.Join(dir, "part-*.parquet"))
			if entries, _ := ReadManifest(dir); len(parts) != len(entries) {
				t.Errorf("%d part files for %d manifest entries: %v", len(parts), len(entries), parts)
			}

			mustAppend(t, w, 3, 4) // redelivered: ignored if committed
			mustCommit(t, w)
			checkLake(t, w, root, withThree)
		})
	}
}

// unwritten commits the open part, then rewrites the last manifest line with torn(line), leaving
// the disk as a crash while appending that line would.
func unwritten(t *testing.T, w *Writer[schemas.Pair], dir string, torn func(line []byte) []byte) {
	t.Helper()
	path := filepath.Join(dir, ManifestName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, w)
	crash(w)
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(before, torn(after[len(before):])...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryErrors(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string, e Entry)
		mention string
	}{
		{"manifest lists a missing file", func(t *testing.T, dir string, e Entry) {
			os.Remove(filepath.Join(dir, e.File))
		}, "part-00000000000000000001-00000000000000000002.parquet"},
		{"part file truncated", func(t *testing.T, dir string, e Entry) {
			os.Truncate(filepath.Join(dir, e.File), e.Bytes/2)
		}, "part-00000000000000000001-00000000000000000002.parquet"},
		{"corrupt line before the last", func(t *testing.T, dir string, e Entry) {
			path := filepath.Join(dir, ManifestName)
			data, _ := os.ReadFile(path)
			os.WriteFile(path, append([]byte("{\"file\": oops\n"), data...), 0o644)
		}, ManifestName + " line 1"},
		{"complete last line that does not parse", func(t *testing.T, dir string, e Entry) {
			path := filepath.Join(dir, ManifestName)
			data, _ := os.ReadFile(path)
			os.WriteFile(path, append(data, "{\"file\": oops\n"...), 0o644)
		}, ManifestName + " line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, dataset, partition)
			w := openPairs(t, root, Options{})
			mustAppend(t, w, 1, 2)
			mustAppend(t, w, 2, 2)
			e := mustCommit(t, w)
			w.Close()
			tt.damage(t, dir, e)
			_, err := OpenWriter[schemas.Pair](root, dataset, partition, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.mention) || !strings.HasPrefix(err.Error(), "lake: ") {
				t.Fatalf("OpenWriter = %v, want an error mentioning %s", err, tt.mention)
			}
		})
	}
}

func TestFailedCommitNeedsReopen(t *testing.T) {
	root := t.TempDir()
	w := openPairs(t, root, Options{})
	mustAppend(t, w, 1, 1)
	mustCommit(t, w)
	mustAppend(t, w, 2, 1)
	os.Remove(w.part.tmp.Name()) // the rename will fail
	if _, err := w.Commit(); err == nil || !strings.HasPrefix(err.Error(), "lake: commit") {
		t.Fatalf("Commit = %v, want an error", err)
	}
	if err := w.Append(pairsOf(3, 1), 3); err == nil {
		t.Fatal("Append after a failed commit succeeded")
	}
	w.Close()
	w = openPairs(t, root, Options{})
	mustAppend(t, w, 2, 1)
	mustCommit(t, w)
	checkLake(t, w, root, want{[]uint64{1, 2}, []int{1, 1}})
}
