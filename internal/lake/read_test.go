package lake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// buildLake writes parts of pairs to two partitions of "pairs" and one of "more".
func buildLake(t *testing.T, o Options) (root string, rows map[string][]schemas.Pair) {
	t.Helper()
	root = t.TempDir()
	rows = map[string][]schemas.Pair{}
	write := func(ds, part string, seqs ...uint64) {
		w, err := OpenWriter[schemas.Pair](root, ds, part, o)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for i, seq := range seqs {
			mustAppend(t, w, seq, int(seq%7)+1)
			rows[ds+"/"+part] = append(rows[ds+"/"+part], pairsOf(seq, int(seq%7)+1)...)
			if i%3 == 2 {
				mustCommit(t, w)
			}
		}
		mustCommit(t, w)
	}
	write("pairs", "source=b", 1, 3, 5, 8, 13, 21, 34)
	write("pairs", "source=a", 2, 4, 6, 7)
	write("more", "source=a", 9, 10)
	return root, rows
}

func TestScanAndFiles(t *testing.T) {
	root, rows := buildLake(t, Options{RowGroupRows: 5})
	all := func(keys ...string) []schemas.Pair {
		var out []schemas.Pair
		for _, k := range keys {
			out = append(out, rows[k]...)
		}
		return out
	}
	firstFile := filepath.Join(root, "pairs", "source=b", "part-00000000000000000001-00000000000000000005.parquet")
	tests := []struct {
		path  string
		files int
		want  []schemas.Pair
	}{
		{root, 6, all("more/source=a", "pairs/source=a", "pairs/source=b")},
		{filepath.Join(root, "pairs"), 5, all("pairs/source=a", "pairs/source=b")},
		{filepath.Join(root, "pairs", "source=b"), 3, rows["pairs/source=b"]},
		{firstFile, 1, pairsOf(1, 2)},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, root), func(t *testing.T) {
			files, err := Files(tt.path)
			if err != nil || len(files) != tt.files {
				t.Fatalf("Files = %v, %v; want %d files", files, err, tt.files)
			}
			var got []schemas.Pair
			err = Scan(tt.path, func(file string, batch []schemas.Pair) error {
				if len(batch) > 5 {
					t.Errorf("batch of %d rows from %s, row groups hold 5", len(batch), file)
				}
				got = append(got, batch...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.path == firstFile {
				tt.want = append(pairsOf(1, 2), append(pairsOf(3, 4), pairsOf(5, 6)...)...)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Scan: got %d rows, want %d\n got %v\nwant %v", len(got), len(tt.want), got, tt.want)
			}
		})
	}
}

func TestScanWrongType(t *testing.T) {
	root, _ := buildLake(t, Options{})
	err := Scan(root, func(string, []schemas.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "lacks columns [id parent_id kind") {
		t.Fatalf("scanning pairs as documents = %v, want an error naming the missing columns", err)
	}
}

func TestCorruptParquet(t *testing.T) {
	tests := []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"truncated", func(data []byte) []byte { return data[:len(data)/2] }},
		{"empty", func(data []byte) []byte { return nil }},
		{"not parquet", func(data []byte) []byte { return []byte("hello, this is not a parquet file at all") }},
		{"footer garbled", func(data []byte) []byte {
			for i := len(data) - 200; i < len(data)-8; i++ {
				data[i] ^= 0x5a
			}
			return data
		}},
		{"pages garbled", func(data []byte) []byte {
			for i := 4; i < len(data)/2; i++ {
				data[i] ^= 0x5a
			}
			return data
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, _ := buildLake(t, Options{})
			files, err := Files(root)
			if err != nil {
				t.Fatal(err)
			}
			file := files[0]
			data, _ := os.ReadFile(file)
			if err := os.WriteFile(file, tt.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			err = Scan(root, func(string, []schemas.Pair) error { return nil })
			if err == nil || !strings.Contains(err.Error(), file) || !strings.HasPrefix(err.Error(), "lake: ") {
				t.Errorf("Scan = %v, want an error naming %s", err, file)
			}
			err = Cat(&bytes.Buffer{}, root, "jsonl", 0)
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Errorf("Cat = %v, want an error naming %s", err, file)
			}
		})
	}
}

func TestCatJSONL(t *testing.T) {
	root, rows := buildLake(t, Options{})
	want := rows["pairs/source=a"]
	tests := []struct {
		limit, lines int
	}{{0, len(want)}, {3, 3}, {len(want) + 5, len(want)}}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := Cat(&out, filepath.Join(root, "pairs", "source=a"), "jsonl", tt.limit); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<20)
		n := 0
		for ; sc.Scan(); n++ {
			var got map[string]any
			if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
				t.Fatalf("line %d: %v: %s", n+1, err, sc.Bytes())
			}
			p := want[n]
			wantRow := map[string]any{
				"pair_id": p.PairID, "source": p.Source, "dump": p.Dump, "thread_id": p.ThreadID,
				"chosen_id": p.ChosenID, "rejected_id": p.RejectedID, "prompt": p.Prompt, "chosen": p.Chosen,
				"rejected": p.Rejected, "chosen_score": p.ChosenScore, "rejected_score": p.RejectedScore,
				"margin": p.Margin, "split": p.Split, "recipe": p.Recipe, "basis": p.Basis,
			}
			if !reflect.DeepEqual(got, wantRow) {
				t.Fatalf("line %d = %v, want %v", n+1, got, wantRow)
			}
			if n == 0 && !strings.HasPrefix(sc.Text(), `{"pair_id":`) {
				t.Errorf("fields out of schema order: %s", sc.Text())
			}
		}
		if n != tt.lines {
			t.Errorf("limit %d: %d lines, want %d", tt.limit, n, tt.lines)
		}
	}
}

func TestCatTable(t *testing.T) {
	root := t.TempDir()
	w := openPairs(t, root, Options{})
	long := schemas.Pair{PairID: "x", Chosen: strings.Repeat("é", 500), Prompt: "line one\nline two <b>&</b>"}
	if err := w.Append([]schemas.Pair{long, long, long}, 1); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, w)
	var out bytes.Buffer
	if err := Cat(&out, root, "table", 2); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"-[ row 1 ]-", "-[ row 2 ]-",
		"pair_id        : x\n",
		"prompt         : line one\\nline two <b>&</b>\n",
		"chosen         : " + strings.Repeat("é", 100) + "… (500 chars)\n",
		"chosen_score   : 0\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "row 3") {
		t.Errorf("limit 2 printed a third row:\n%s", text)
	}
	if err := Cat(&out, root, "xml", 0); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestStats(t *testing.T) {
	root, rows := buildLake(t, Options{})
	stats, err := Stats(root)
	if err != nil {
		t.Fatal(err)
	}
	type count struct {
		ds, part          string
		files             int
		rows              int
		firstSeq, lastSeq uint64
	}
	want := []count{
		{"more", "source=a", 1, len(rows["more/source=a"]), 9, 10},
		{"pairs", "source=a", 2, len(rows["pairs/source=a"]), 2, 7},
		{"pairs", "source=b", 3, len(rows["pairs/source=b"]), 1, 34},
	}
	if len(stats) != len(want) {
		t.Fatalf("Stats = %+v, want %d partitions", stats, len(want))
	}
	for i, s := range stats {
		got := count{s.Dataset, s.Partition, s.Files, int(s.Rows), s.FirstSeq, s.LastSeq}
		if got != want[i] {
			t.Errorf("partition %d = %+v, want %+v", i, got, want[i])
		}
		var sum int64
		files, _ := Files(filepath.Join(root, s.Dataset, s.Partition))
		for _, f := range files {
			st, _ := os.Stat(f)
			sum += st.Size()
		}
		if s.Bytes != sum {
			t.Errorf("%s/%s: %d bytes, files hold %d", s.Dataset, s.Partition, s.Bytes, sum)
		}
		if len(s.Columns) != 15 || s.Columns[0] != "pair_id" || s.Columns[14] != "basis" {
			t.Errorf("columns = %v", s.Columns)
		}
	}
	var out bytes.Buffer
	PrintStats(&out, stats)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "DATASET") {
		t.Fatalf("PrintStats:\n%s", out.String())
	}
	col := strings.Index(lines[0], "PARTITION")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "source=") {
			t.Errorf("PrintStats columns not aligned:\n%s", out.String())
		}
	}
}
