package stackexchange

import (
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// FuzzPairs builds a thread from the input, four bytes per answer: id, net score, vote count
// (255: none) and a byte choosing flags, owner and text. Ids are kept unique: which of two
// answers with one id is used depends on their order (TestSkippedThreads covers that case).
func FuzzPairs(f *testing.F) {
	f.Add([]byte{1, 2, 255, 0, 2, 9, 255, 0, 3, 200, 255, 0}, uint8(0), uint64(1), uint8(2))
	f.Add([]byte{1, 2, 3, 0, 2, 9, 0, 0, 3, 1, 255, 1, 3, 5, 9, 2, 250, 0, 1, 3}, uint8(2), uint64(7), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, maxPairs uint8, seed uint64, accepted uint8) {
		answers := fuzzAnswers(data)
		q := question("1", strconv.Itoa(int(accepted)))
		o := Options{MaxPairsPerThread: int(maxPairs % 8), Seed: seed}
		res := Pairs(q, answers, o)
		checkInvariants(t, res, answers, o)
		slices.Reverse(answers)
		if again := Pairs(q, answers, o); !reflect.DeepEqual(again, res) {
			t.Fatalf("answer order changed the result: %v vs %v", pairNames(again.Pairs), pairNames(res.Pairs))
		}
	})
}

// maxFuzzAnswers keeps threads small enough for the fuzzer to try many of them.
const maxFuzzAnswers = 24

func fuzzAnswers(data []byte) []schemas.Document {
	var answers []schemas.Document
	seen := map[byte]bool{}
	data = data[:min(len(data), 4*maxFuzzAnswers)]
	for ; len(data) >= 4; data = data[4:] {
		if seen[data[0]] {
			continue
		}
		seen[data[0]] = true
		d := answerDoc(strconv.Itoa(int(data[0])), int64(int8(data[1])))
		if data[2] != 255 {
			d.Upvotes = int64(data[2])
		}
		switch data[3] % 8 {
		case 1:
			d.Flags = schemas.FlagDeleted
		case 2:
			d.Flags = schemas.FlagFabricated
		case 3:
			d.Text = "<p> </p>"
		case 4:
			d.ID = strconv.Itoa(FabricatedMinID + int(data[0]))
			d.Author = "-1"
		}
		answers = append(answers, d)
	}
	return answers
}

func checkInvariants(t *testing.T, res Result, answers []schemas.Document, o Options) {
	t.Helper()
	if (len(res.Pairs) == 0) != (res.Skipped != "") {
		t.Fatalf("%d pairs but skipped %q", len(res.Pairs), res.Skipped)
	}
	if n := len(answers); len(res.Pairs) > n*(n-1)/2 {
		t.Fatalf("%d pairs from %d answers", len(res.Pairs), n)
	}
	if o.MaxPairsPerThread > 0 && len(res.Pairs) > o.MaxPairsPerThread {
		t.Fatalf("%d pairs over the cap %d", len(res.Pairs), o.MaxPairsPerThread)
	}
	ids := map[string]bool{}
	for _, p := range res.Pairs {
		if p.ChosenScore <= p.RejectedScore || p.Margin != p.ChosenScore-p.RejectedScore {
			t.Fatalf("bad scores: %+v", p)
		}
		if p.ChosenID == p.RejectedID || ids[p.PairID] {
			t.Fatalf("repeated answer or pair: %+v", p)
		}
		ids[p.PairID] = true
		if p.PairID != schemas.PairID(p.Source, p.Dump, p.ThreadID, p.ChosenID, p.RejectedID) {
			t.Fatalf("pair id does not match its fields: %+v", p)
		}
		if p.Chosen == "" || p.Rejected == "" || p.Prompt == "" {
			t.Fatalf("empty text: %+v", p)
		}
	}
}
