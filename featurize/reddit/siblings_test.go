package reddit

import (
	"slices"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func TestSiblingsRules(t *testing.T) {
	tests := []struct {
		name    string
		docs    []schemas.Document
		o       func(*Options)
		want    []string
		prompt  string // of the first pair
		skipped string
	}{
		{name: "replies to the post", docs: []schemas.Document{post(), reply("a", 3, 200), reply("b", 2, 100)},
			want: []string{"a>b"}, prompt: "Why is the sky blue?\n\nAsking for a friend."},
		{name: "earlier may win", docs: []schemas.Document{post(), reply("a", 3, 100), reply("b", 2, 200)},
			want: []string{"a>b"}},
		{name: "equal scores", docs: []schemas.Document{post(), reply("a", 3, 100), reply("b", 3, 200)}, skipped: "differ by 1"},
		{name: "equal scores with min diff 0", docs: []schemas.Document{post(), reply("a", 3, 100), reply("b", 3, 200)},
			o: func(o *Options) { o.MinScoreDiff = 0 }, skipped: "differ by 1"},
		{name: "diff below min", docs: []schemas.Document{post(), reply("a", 5, 100), reply("b", 3, 200)},
			o: func(o *Options) { o.MinScoreDiff = 3 }, skipped: "differ by 3"},
		{name: "diff at min", docs: []schemas.Document{post(), reply("a", 6, 100), reply("b", 3, 200)},
			o: func(o *Options) { o.MinScoreDiff = 3 }, want: []string{"a>b"}},
		{name: "negative scores", docs: []schemas.Document{post(), reply("a", -5, 100), reply("b", -1, 200)}, want: []string{"b>a"}},
		{name: "no shp filters", docs: []schemas.Document{post(flagged(schemas.FlagNSFW), func(d *schemas.Document) { d.Flags &^= schemas.FlagSelfPost; d.Score = 1 }),
			reply("a", 0, 100, by("op")), reply("b", 1, 200, flagged(schemas.FlagAuthorDeleted|schemas.FlagDistinguished))}, want: []string{"b>a"}},
		{name: "replies to a comment, submission present",
			docs:   []schemas.Document{post(), reply("p", 1, 50), reply("a", 3, 100, under("t1_p")), reply("b", 1, 200, under("t1_p"))},
			want:   []string{"a>b"},
			prompt: "Why is the sky blue?\n\nanswer p"},
		{name: "replies to a comment, submission missing",
			docs:   []schemas.Document{reply("p", 1, 50), reply("a", 3, 100, under("t1_p")), reply("b", 1, 200, under("t1_p"))},
			want:   []string{"a>b"},
			prompt: "answer p"},
		{name: "parent missing", docs: []schemas.Document{reply("a", 3, 100, under("t1_gone")), reply("b", 1, 200, under("t1_gone"))}, skipped: "no parent"},
		{name: "post missing", docs: []schemas.Document{reply("a", 3, 100), reply("b", 1, 200)}, skipped: "no parent"},
		{name: "parent comment deleted", docs: []schemas.Document{post(), reply("p", 1, 50, deleted), reply("a", 3, 100, under("t1_p")), reply("b", 1, 200, under("t1_p"))}, skipped: "no parent"},
		{name: "post text removed keeps the title", docs: []schemas.Document{post(deleted), reply("a", 3, 200), reply("b", 2, 100)},
			want: []string{"a>b"}, prompt: "Why is the sky blue?"},
		{name: "deleted sibling", docs: []schemas.Document{post(), reply("a", 3, 100, deleted), reply("b", 1, 200)}, skipped: "no parent"},
		{name: "empty sibling", docs: []schemas.Document{post(), reply("a", 3, 100, func(d *schemas.Document) { d.Text = "" }), reply("b", 1, 200)}, skipped: "no parent"},
		{name: "different parents do not pair",
			docs: []schemas.Document{post(), reply("p", 3, 50), reply("a", 3, 100), reply("b", 1, 200, under("t1_p"))}, skipped: "differ by 1"},
		{name: "groups in thread order",
			docs: []schemas.Document{post(), reply("p", 9, 50), reply("a", 3, 100, under("t1_p")), reply("b", 1, 200, under("t1_p")),
				reply("c", 1, 300), reply("d", 2, 250, under("t1_p"))},
			want: []string{"p>c", "a>b", "a>d", "d>b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			if tt.o != nil {
				tt.o(&o)
			}
			res := PairsSiblings(tt.docs, o)
			if got := pairIDs(res.Pairs); !slices.Equal(got, tt.want) {
				t.Errorf("pairs %v, want %v (skipped %q)", got, tt.want, res.Skipped)
			}
			if tt.prompt != "" && len(res.Pairs) > 0 && res.Pairs[0].Prompt != tt.prompt {
				t.Errorf("prompt %q, want %q", res.Pairs[0].Prompt, tt.prompt)
			}
			if tt.skipped != "" && !strings.Contains(res.Skipped, tt.skipped) {
				t.Errorf("skipped %q, want it to mention %q", res.Skipped, tt.skipped)
			}
			for _, p := range res.Pairs {
				if p.Recipe != Siblings || p.Basis != "score" || p.Margin != p.ChosenScore-p.RejectedScore || p.Margin < 1 {
					t.Errorf("pair fields %+v", p)
				}
			}
			checkShuffled(t, PairsSiblings, tt.docs, o)
		})
	}
}

func TestSiblingsThreadWithoutSubmission(t *testing.T) {
	docs := []schemas.Document{
		reply("p", 1, 50, func(d *schemas.Document) { d.Dump = "2015-02" }),
		reply("a", 3, 100, under("t1_p"), func(d *schemas.Document) { d.Dump = "2015-03" }),
		reply("b", 1, 200, under("t1_p"), func(d *schemas.Document) { d.Dump = "2015-02" }),
	}
	res := PairsSiblings(docs, DefaultOptions())
	if len(res.Pairs) != 1 {
		t.Fatalf("pairs %v (%s)", pairIDs(res.Pairs), res.Skipped)
	}
	p := res.Pairs[0]
	if p.ThreadID != testPost || p.Dump != "2015-02" || p.PairID != schemas.PairID("reddit", "2015-02", testPost, "t1_a", "t1_b") {
		t.Errorf("pair %+v: want thread %s, dump 2015-02", p, testPost)
	}
	withPost := PairsSiblings(append(docs, post()), DefaultOptions())
	if withPost.Pairs[0].Split != p.Split {
		t.Error("the split of a thread changes with the dump its documents came from")
	}
}
