package schemas

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func validRanking() Ranking {
	r := Ranking{Source: "test", Prompt: "Which?", Responses: []string{"a", "b", "c", "d"}, Order: []int32{2, 0, 3, 1}}
	r.RankingID = RankingID(r.Prompt, r.Responses, r.Order, r.Annotator)
	r.Split = SplitOfRanking(r.Prompt, r.RankingID)
	return r
}

func TestRankingValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Ranking)
		want   string // "" means valid
	}{
		{"valid", func(*Ranking) {}, ""},
		{"empty prompt is fine", func(r *Ranking) { r.Prompt = "" }, ""},
		{"two responses", func(r *Ranking) { r.Responses, r.Order = r.Responses[:2], []int32{1, 0} }, ""},
		{"one response", func(r *Ranking) { r.Responses, r.Order = r.Responses[:1], []int32{0} }, "at least 2 responses, has 1"},
		{"no responses", func(r *Ranking) { r.Responses, r.Order = nil, nil }, "at least 2 responses, has 0"},
		{"empty response", func(r *Ranking) { r.Responses[3] = "" }, "response 3 is empty"},
		{"blank response", func(r *Ranking) { r.Responses[1] = " \n\t" }, "response 1 is empty"},
		{"identical responses", func(r *Ranking) { r.Responses[2] = "a" }, "responses 0 and 2 are identical"},
		{"duplicate index", func(r *Ranking) { r.Order = []int32{2, 0, 2, 1} }, "response 2 appears twice"},
		{"missing index", func(r *Ranking) { r.Order = []int32{2, 0, 1} }, "response 3 is missing from the order (3 of 4 ranked)"},
		{"empty order", func(r *Ranking) { r.Order = nil }, "response 0 is missing"},
		{"index out of range", func(r *Ranking) { r.Order = []int32{2, 0, 4, 1} }, "order[2] = 4 is out of range [0,4)"},
		{"negative index", func(r *Ranking) { r.Order = []int32{-1, 0, 3, 1} }, "order[0] = -1 is out of range"},
		{"too many indices", func(r *Ranking) { r.Order = []int32{2, 0, 3, 1, 0} }, "response 0 appears twice"},
		{"scores agree", func(r *Ranking) { r.Scores = []float64{3, 1, 4, 1} }, ""},
		{"scores of the wrong length", func(r *Ranking) { r.Scores = []float64{1, 2} }, "2 scores for 4 responses"},
		{"scores against the order", func(r *Ranking) { r.Scores = []float64{1, 3, 4, 2} }, "order puts response 0 (score 1) above response 3 (score 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRanking()
			r.Responses = append([]string(nil), r.Responses...)
			tt.change(&r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v, want %q", err, tt.want)
			}
			if tt.want != "" {
				if _, err := r.Pairs(); err == nil {
					t.Fatal("Pairs of an invalid ranking must fail")
				}
			}
		})
	}
}

func TestRankingComparisons(t *testing.T) {
	tests := []struct {
		name   string
		order  []int32
		scores []float64
		want   [][2]int
	}{
		{"two", []int32{1, 0}, nil, [][2]int{{1, 0}}},
		{"four give six", []int32{2, 0, 3, 1}, nil, [][2]int{{2, 0}, {2, 3}, {2, 1}, {0, 3}, {0, 1}, {3, 1}}},
		{"ties give none", []int32{2, 0, 3, 1}, []float64{5, 1, 5, 2}, [][2]int{{2, 3}, {2, 1}, {0, 3}, {0, 1}, {3, 1}}},
		{"all tied", []int32{0, 1, 2}, []float64{1, 1, 1}, [][2]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Ranking{Responses: []string{"a", "b", "c", "d"}[:len(tt.order)], Order: tt.order, Scores: tt.scores}
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := r.Comparisons(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Comparisons = %v, want %v", got, tt.want)
			}
			if k := len(tt.order); tt.scores == nil && len(r.Comparisons()) != k*(k-1)/2 {
				t.Fatalf("%d comparisons for k=%d", len(r.Comparisons()), k)
			}
		})
	}
}

func TestRankingPairs(t *testing.T) {
	r := validRanking()
	pairs, err := r.Pairs()
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 6 {
		t.Fatalf("%d pairs, want 6", len(pairs))
	}
	first := pairs[0] // c (rank 0) over a (rank 1)
	if first.Chosen != "c" || first.Rejected != "a" || first.Margin != 1 || first.Prompt != "Which?" ||
		first.ThreadID != r.RankingID || first.Split != r.Split || first.Recipe != RankingRecipe || first.Basis != RankingBasis {
		t.Fatalf("first pair %+v", first)
	}
	ids := map[string]bool{}
	for _, p := range pairs {
		if p.Margin <= 0 {
			t.Fatalf("pair %+v has a non-positive margin", p)
		}
		ids[p.PairID] = true
	}
	if len(ids) != 6 {
		t.Fatalf("%d distinct pair ids, want 6", len(ids))
	}
	again, _ := r.Pairs()
	if !reflect.DeepEqual(pairs, again) {
		t.Fatal("pairs are not deterministic")
	}
}

func TestRankingIDAndSplit(t *testing.T) {
	r := validRanking()
	id := RankingID(r.Prompt, r.Responses, r.Order, "")
	if id != r.RankingID || len(id) != 32 {
		t.Fatalf("id %q not deterministic", id)
	}
	for name, other := range map[string]string{
		"order":      RankingID(r.Prompt, r.Responses, []int32{0, 2, 3, 1}, ""),
		"annotator":  RankingID(r.Prompt, r.Responses, r.Order, "rater-1"),
		"boundaries": RankingID(r.Prompt+"a", []string{"", "b", "c", "d"}, r.Order, ""),
		"prompt":     RankingID("", r.Responses, r.Order, ""),
	} {
		if other == id {
			t.Fatalf("changing the %s keeps the id", name)
		}
	}
	if SplitOfRanking("same prompt", "x") != SplitOfRanking("same prompt", "y") {
		t.Fatal("one prompt must land in one split")
	}
	test := 0
	for i := 0; i < 5000; i++ {
		if SplitOfRanking("", RankingID("", []string{string(rune(i))}, nil, "")) == SplitTest {
			test++
		}
	}
	if test < 350 || test > 650 {
		t.Fatalf("%d of 5000 in test, want about %d%%", test, TestPercent)
	}
}

func TestRankingRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codec := RankingCodec.WithAllocator(mem)
	full := validRanking()
	full.Scores = []float64{3, 0.5, 7, 1}
	full.Annotator, full.CreatedUnix, full.SourceFile, full.Offset, full.IngestedUnix = "rater-7", 1700000000, "r.jsonl", 1234, 1800000000
	rows := []Ranking{validRanking(), full, {RankingID: "empty"}}
	data, err := codec.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rows)
	}
	if _, err := PairCodec.Decode(data); err == nil {
		t.Fatal("a ranking batch must not decode as pairs")
	}
	if _, err := RankingCodec.Decode(data[:len(data)-9]); err == nil {
		t.Fatal("a truncated batch must fail")
	}
}
