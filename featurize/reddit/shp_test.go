package reddit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func TestSHPRules(t *testing.T) {
	tests := []struct {
		name    string
		docs    []schemas.Document
		want    []string // chosen>rejected
		skipped string
	}{
		{"later and higher wins", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"created at the same time", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 100)}, []string{"b>a"}, ""},
		{"higher but earlier: no pair", []schemas.Document{post(), reply("a", 10, 100), reply("b", 4, 200)}, nil, "score rules"},
		{"equal scores: no pair", []schemas.Document{post(), reply("a", 5, 100), reply("b", 5, 200)}, nil, "score rules"},
		{"ratio exactly 2", []schemas.Document{post(), reply("a", 5, 100), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"ratio below 2", []schemas.Document{post(), reply("a", 10, 100), reply("b", 19, 200)}, nil, "score rules"},
		{"post score 10 is enough", []schemas.Document{post(func(d *schemas.Document) { d.Score = 10 }), reply("a", 4, 100), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"post score below 10", []schemas.Document{post(func(d *schemas.Document) { d.Score = 9 }), reply("a", 4, 100), reply("b", 10, 200)}, nil, "post score 9 below 10"},
		{"comment score 2 is enough", []schemas.Document{post(), reply("a", 2, 100), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"comment score below 2", []schemas.Document{post(), reply("a", 1, 100), reply("b", 10, 200)}, nil, "fewer than 2"},
		{"no submission", []schemas.Document{reply("a", 4, 100), reply("b", 10, 200)}, nil, "no submission"},
		{"link post", []schemas.Document{post(func(d *schemas.Document) { d.Flags = 0 }), reply("a", 4, 100), reply("b", 10, 200)}, nil, "not a self-post"},
		{"NSFW post", []schemas.Document{post(flagged(schemas.FlagNSFW)), reply("a", 4, 100), reply("b", 10, 200)}, nil, "NSFW"},
		{"post text removed", []schemas.Document{post(deleted), reply("a", 4, 100), reply("b", 10, 200)}, nil, "post text deleted"},
		{"deleted author excluded", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200, by(""), flagged(schemas.FlagAuthorDeleted))}, nil, "fewer than 2"},
		{"moderator excluded", []schemas.Document{post(), reply("a", 4, 100, flagged(schemas.FlagDistinguished)), reply("b", 10, 200)}, nil, "fewer than 2"},
		{"post author excluded", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200, by("op"))}, nil, "fewer than 2"},
		{"post author deleted: comments still pair", []schemas.Document{post(by(""), flagged(schemas.FlagAuthorDeleted)), reply("a", 4, 100, by("")), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"post author deleted, authors known", []schemas.Document{post(by(""), flagged(schemas.FlagAuthorDeleted)), reply("a", 4, 100), reply("b", 10, 200)}, []string{"b>a"}, ""},
		{"deleted body excluded", []schemas.Document{post(), reply("a", 4, 100, deleted), reply("b", 10, 200)}, nil, "fewer than 2"},
		{"empty body excluded", []schemas.Document{post(), reply("a", 4, 100, func(d *schemas.Document) { d.Text = "" }), reply("b", 10, 200)}, nil, "fewer than 2"},
		{"reply to a comment is not top-level", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200, under("t1_a"))}, nil, "fewer than 2"},
		{"several comments", []schemas.Document{post(), reply("a", 3, 100), reply("b", 7, 150), reply("c", 20, 200), reply("d", 2, 300)},
			[]string{"b>a", "c>a", "c>b"}, ""},
		{"duplicate ids count once", []schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200), reply("b", 10, 200)}, []string{"b>a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := PairsSHP(tt.docs, DefaultOptions())
			if got := pairIDs(res.Pairs); !slices.Equal(got, tt.want) {
				t.Errorf("pairs %v, want %v (skipped %q)", got, tt.want, res.Skipped)
			}
			if tt.skipped != "" && !strings.Contains(res.Skipped, tt.skipped) {
				t.Errorf("skipped %q, want it to mention %q", res.Skipped, tt.skipped)
			}
			if tt.skipped == "" && res.Skipped != "" {
				t.Errorf("skipped %q with pairs", res.Skipped)
			}
			checkShuffled(t, PairsSHP, tt.docs, DefaultOptions())
		})
	}
}

func TestSHPPairFields(t *testing.T) {
	res := PairsSHP([]schemas.Document{post(), reply("a", 4, 100), reply("b", 10, 200)}, DefaultOptions())
	if len(res.Pairs) != 1 {
		t.Fatalf("got %d pairs", len(res.Pairs))
	}
	want := schemas.Pair{
		PairID: schemas.PairID("reddit", "2015-01", testPost, "t1_b", "t1_a"), Source: "reddit", Dump: "2015-01",
		ThreadID: testPost, ChosenID: "t1_b", RejectedID: "t1_a", Prompt: "Why is the sky blue?\n\nAsking for a friend.",
		Chosen: "answer b", Rejected: "answer a", ChosenScore: 10, RejectedScore: 4, Margin: 6,
		Split: schemas.SplitOf("reddit", "", testPost), Recipe: "shp/v1", Basis: "score",
	}
	if res.Pairs[0] != want {
		t.Errorf("pair\n got %+v\nwant %+v", res.Pairs[0], want)
	}
}

func TestSHPPromptWithoutSelftext(t *testing.T) {
	docs := []schemas.Document{post(func(d *schemas.Document) { d.Text = "" }), reply("a", 4, 100), reply("b", 10, 200)}
	res := PairsSHP(docs, DefaultOptions())
	if len(res.Pairs) != 1 || res.Pairs[0].Prompt != "Why is the sky blue?" {
		t.Fatalf("pairs %+v", res.Pairs)
	}
}

func TestSHPOptions(t *testing.T) {
	docs := []schemas.Document{post(func(d *schemas.Document) { d.Score = 3 }), reply("a", 1, 100), reply("b", 3, 200)}
	if res := PairsSHP(docs, DefaultOptions()); len(res.Pairs) != 0 {
		t.Fatalf("default options: %v", pairIDs(res.Pairs))
	}
	o := Options{MinScoreRatio: 3, MinPostScore: 3, MinCommentScore: 1}
	if res := PairsSHP(docs, o); !slices.Equal(pairIDs(res.Pairs), []string{"b>a"}) {
		t.Errorf("relaxed options: %v (%s)", pairIDs(res.Pairs), res.Skipped)
	}
	o.MinScoreRatio = 3.5
	if res := PairsSHP(docs, o); len(res.Pairs) != 0 {
		t.Errorf("ratio 3.5: %v", pairIDs(res.Pairs))
	}
}

func TestMaxPairsPerThread(t *testing.T) {
	docs := []schemas.Document{post()}
	for i := range 12 {
		docs = append(docs, reply(fmt.Sprint("c", i), int64(2<<i), int64(100+i)))
	}
	all := PairsSHP(docs, DefaultOptions()).Pairs
	if len(all) != 66 {
		t.Fatalf("got %d pairs, want 66", len(all))
	}
	o := DefaultOptions()
	o.MaxPairsPerThread, o.Seed = 10, 7
	capped := PairsSHP(docs, o).Pairs
	if len(capped) != 10 {
		t.Fatalf("capped to %d pairs, want 10", len(capped))
	}
	if again := PairsSHP(docs, o).Pairs; !slices.Equal(pairIDs(again), pairIDs(capped)) {
		t.Error("the same seed keeps different pairs")
	}
	// Kept pairs stay in thread order.
	pos := map[string]int{}
	for i, p := range all {
		pos[p.PairID] = i
	}
	for i := 1; i < len(capped); i++ {
		if pos[capped[i].PairID] <= pos[capped[i-1].PairID] {
			t.Fatalf("capped pairs out of thread order")
		}
	}
	o.Seed = 8
	if other := PairsSHP(docs, o).Pairs; slices.Equal(pairIDs(other), pairIDs(capped)) {
		t.Error("another seed keeps the same 10 of 66 pairs")
	}
	checkShuffled(t, PairsSHP, docs, o)
}
