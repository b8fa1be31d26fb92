package reddit

import (
	"fmt"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// fuzzThread builds a thread from bytes, 6 bytes a document: kind and flags,
// parent, score, created, author, text.
func fuzzThread(data []byte) []schemas.Document {
	var docs []schemas.Document
	for ; len(data) >= 6; data = data[6:] {
		d := schemas.Document{
			Dump: fmt.Sprint("2015-0", data[0]%3), ID: fmt.Sprint("t1_", data[1]%16), ThreadID: testPost,
			Kind: schemas.KindComment, Score: int64(int8(data[2])), CreatedUnix: int64(data[3] % 8),
			Author: fmt.Sprint("u", data[4]%4), Text: fmt.Sprint("text ", data[5]%3), Flags: int64(data[0]>>2) & 0x3f,
		}
		d.ParentID = fmt.Sprint("t1_", data[5]%16)
		if data[5]%3 == 0 {
			d.ParentID = testPost
		}
		if data[5]%7 == 0 {
			d.Text = ""
		}
		if data[1]%16 == 15 {
			d.ID, d.Kind, d.ParentID, d.Title = testPost, schemas.KindSubmission, "", "title"
		}
		docs = append(docs, d)
	}
	return docs
}

func FuzzPairs(f *testing.F) {
	f.Add([]byte("\x00\x0f\x32\x00\x00\x01\x00\x01\x04\x01\x01\x03\x00\x02\x0a\x02\x02\x03\x00\x03\x09\x03\x03\x02"), uint8(0), uint8(0))
	f.Add([]byte("\x14\x0f\x7f\x00\x09\x01\x00\x01\x80\x01\x01\x03\x00\x02\x7f\x05\x02\x03"), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, maxPairs, minDiff uint8) {
		docs := fuzzThread(data)
		o := DefaultOptions()
		o.MinScoreDiff = int64(minDiff%5) - 1
		for name, recipe := range map[string]func([]schemas.Document, Options) Result{"shp": PairsSHP, "siblings": PairsSiblings} {
			all := recipe(docs, o)
			checkPairs(t, name, docs, all, o)
			checkShuffled(t, recipe, docs, o)
			capped := o
			capped.MaxPairsPerThread = int(maxPairs % 8)
			checkCapped(t, all.Pairs, recipe(docs, capped).Pairs, capped.MaxPairsPerThread)
		}
	})
}

func checkPairs(t *testing.T, name string, docs []schemas.Document, res Result, o Options) {
	t.Helper()
	if (len(res.Pairs) == 0) == (res.Skipped == "") {
		t.Fatalf("%s: %d pairs, skipped %q", name, len(res.Pairs), res.Skipped)
	}
	byID := map[string]schemas.Document{}
	for _, d := range docs {
		if kept, dup := byID[d.ID]; !dup || compareDocs(&d, &kept) < 0 {
			byID[d.ID] = d
		}
	}
	ids := map[string]bool{}
	for _, p := range res.Pairs {
		chosen, rejected := byID[p.ChosenID], byID[p.RejectedID]
		switch {
		case ids[p.PairID]:
			t.Fatalf("%s: duplicate pair %s", name, p.PairID)
		case p.ChosenScore <= p.RejectedScore || p.Margin != p.ChosenScore-p.RejectedScore:
			t.Fatalf("%s: scores %v <= %v", name, p.ChosenScore, p.RejectedScore)
		case chosen.ParentID != rejected.ParentID || chosen.Kind != schemas.KindComment || rejected.Kind != schemas.KindComment:
			t.Fatalf("%s: %+v and %+v are not siblings", name, chosen, rejected)
		case chosen.Has(schemas.FlagDeleted) || rejected.Has(schemas.FlagDeleted) || p.Chosen == "" || p.Rejected == "":
			t.Fatalf("%s: deleted or empty text paired", name)
		case name == "shp" && (chosen.CreatedUnix < rejected.CreatedUnix || p.ChosenScore < 2*p.RejectedScore || p.RejectedScore < 2 || chosen.ParentID != testPost):
			t.Fatalf("%s: pair breaks the shp rules: %+v over %+v", name, chosen, rejected)
		case name == "siblings" && p.Margin < float64(max(o.MinScoreDiff, 1)):
			t.Fatalf("%s: margin %v below %d", name, p.Margin, o.MinScoreDiff)
		}
		ids[p.PairID] = true
	}
}

func checkCapped(t *testing.T, all, capped []schemas.Pair, max int) {
	t.Helper()
	if max > 0 && len(capped) != min(max, len(all)) || max == 0 && len(capped) != len(all) {
		t.Fatalf("capped to %d: %d of %d pairs", max, len(capped), len(all))
	}
	pos := map[string]int{}
	for i, p := range all {
		pos[p.PairID] = i + 1
	}
	for i, p := range capped {
		if pos[p.PairID] == 0 || i > 0 && pos[p.PairID] <= pos[capped[i-1].PairID] {
			t.Fatalf("capped pairs are not an ordered subset")
		}
	}
}
