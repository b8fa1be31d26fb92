package reddit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"

	ingest "github.com/prefstream/prefstream/ingest/reddit"
	"github.com/prefstream/prefstream/schemas"
)

// realComments is a real month of comments (1,075) outside the repository.
var realComments = filepath.Join("../../../shared/fixtures/real/reddit", "RC_2005-12.zst")

func skipWithoutFixture(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(realComments); errors.Is(err, os.ErrNotExist) {
		t.Skipf("real Reddit sample %s not found; skipping", realComments)
	}
}

// realThreads reads the sample with the ingest reader and groups it by thread.
func realThreads(t *testing.T) map[string][]schemas.Document {
	t.Helper()
	r, err := ingest.Open(realComments)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	threads := map[string][]schemas.Document{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return threads
		}
		if err != nil {
			t.Fatal(err)
		}
		d := rec.Document(ingest.DumpOf(realComments), realComments, 0)
		threads[d.ThreadID] = append(threads[d.ThreadID], d)
	}
}

// naiveSiblings counts siblings pairs straight from encoding/json maps with
// an O(n²) loop over all comments: same parent, the parent a comment of the
// sample with its body not gone, neither body gone, scores differing.
func naiveSiblings(t *testing.T) []string {
	t.Helper()
	compressed, err := os.ReadFile(realComments)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderLowmem(true))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	data, err := dec.DecodeAll(compressed, nil)
	if err != nil {
		t.Fatal(err)
	}
	var comments []map[string]any
	for line := range bytes.Lines(data) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		comments = append(comments, m)
	}
	gone := func(m map[string]any) bool {
		body := m["body"].(string)
		return body == "" || body == "[deleted]" || body == "[removed]"
	}
	byName := map[string]map[string]any{}
	for _, m := range comments {
		byName["t1_"+m["id"].(string)] = m
	}
	var pairs []string
	for i, a := range comments {
		for _, b := range comments[i+1:] {
			parent, ok := byName[a["parent_id"].(string)]
			if a["parent_id"] != b["parent_id"] || !ok || gone(parent) || gone(a) || gone(b) || a["score"] == b["score"] {
				continue
			}
			chosen, rejected := a, b
			if a["score"].(float64) < b["score"].(float64) {
				chosen, rejected = b, a
			}
			pairs = append(pairs, "t1_"+chosen["id"].(string)+">t1_"+rejected["id"].(string))
		}
	}
	return pairs
}

func TestRealSiblingsMatchNaiveCount(t *testing.T) {
	skipWithoutFixture(t)
	var got []string
	var shp int
	for _, docs := range realThreads(t) {
		for _, p := range PairsSiblings(docs, DefaultOptions()).Pairs {
			got = append(got, p.ChosenID+">"+p.RejectedID)
		}
		shp += len(PairsSHP(docs, DefaultOptions()).Pairs)
	}
	want := naiveSiblings(t)
	t.Logf("RC_2005-12: %d siblings pairs, %d by the naive loop", len(got), len(want))
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("PairsSiblings gives %d pairs over all threads, the naive loop %d", len(got), len(want))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Error("same count, different pairs")
	}
	if shp != 0 {
		t.Errorf("shp made %d pairs without any submission in the input", shp)
	}
}
