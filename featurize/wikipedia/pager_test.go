package wikipedia

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// rev is a revision in a test: its text ("-" for a deleted text) and
// comment ("-" for a deleted comment).
type rev struct{ text, comment string }

// docs maps revisions of page thread to Documents, ids 1, 2, ... as the
// ingest reader does.
func docs(thread string, revs ...rev) []schemas.Document {
	out := make([]schemas.Document, len(revs))
	for i, r := range revs {
		d := schemas.Document{Source: source, Dump: "testwiki", ID: strconv.Itoa(i + 1), ThreadID: thread,
			Kind: schemas.KindRevision, Title: "Page " + thread, Text: r.text}
		extra := map[string]any{"ns": 0, "sha1": ""}
		if r.text == "-" {
			d.Text, d.Flags = "", schemas.FlagDeleted
		} else {
			extra["sha1"] = sha1Base36(r.text)
		}
		if r.comment != "-" {
			extra["comment"] = r.comment
		}
		b, _ := json.Marshal(extra)
		d.Extra = string(b)
		out[i] = d
	}
	return out
}

// texts are revisions with no comment.
func texts(ts ...string) []rev {
	revs := make([]rev, len(ts))
	for i, t := range ts {
		revs[i] = rev{text: t}
	}
	return revs
}

// pairIDs feeds the revisions one by one and returns "chosen>rejected" for
// each pair, checking that no Add returns more than one.
func pairIDs(t *testing.T, p *Pager, revs []schemas.Document) []string {
	t.Helper()
	var ids []string
	for _, d := range revs {
		pairs := p.Add(d)
		if len(pairs) > 1 {
			t.Fatalf("revision %s gave %d pairs", d.ID, len(pairs))
		}
		for _, pr := range pairs {
			ids = append(ids, pr.ChosenID+">"+pr.RejectedID)
		}
	}
	return ids
}

func distinct(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text %d", i)
	}
	return out
}

func TestPagerFindsReverts(t *testing.T) {
	window15 := append(append([]string{"A"}, distinct(14)...), "A") // j = k-15
	window16 := append(append([]string{"A"}, distinct(15)...), "A") // j = k-16
	tests := []struct {
		name    string
		o       Options
		revs    []rev
		want    []string
		reverts int
	}{
		{"revert to k-2", DefaultOptions(), texts("A", "B", "A"), []string{"3>2"}, 1},
		{"same as the previous is no revert", DefaultOptions(), texts("A", "A", "A"), nil, 0},
		{"revert over two edits", DefaultOptions(), texts("A", "B", "C", "A"), []string{"4>3"}, 1},
		{"one pair per reverting revision", DefaultOptions(), texts("A", "B", "A", "B", "A"), []string{"3>2", "4>3", "5>4"}, 3},
		{"j = k-15 is in the window", DefaultOptions(), texts(window15...), []string{"16>15"}, 1},
		{"j = k-16 is not", DefaultOptions(), texts(window16...), nil, 0},
		{"a window of 3", Options{Window: 3, ContextParagraphs: 1}, texts("A", "B", "C", "D", "A", "E", "D"), []string{"7>6"}, 1},
		{"a deleted text does not revert", DefaultOptions(), texts("A", "B", "-"), nil, 0},
		{"a deleted text is not reverted to", DefaultOptions(), texts("-", "B", "-"), nil, 0},
		{"a deleted previous text gives no pair", DefaultOptions(), texts("A", "-", "A"), nil, 1},
		{"vandalism only: named reverts are kept", Options{VandalismOnly: true, Window: 15},
			[]rev{{"A", "new"}, {"B", "lol"}, {"A", "Reverted edits by [[Special:Contributions/X|X]]"}, {"B", "again"}, {"A", "fix"}, {"C", ""}, {"A", "-"}},
			[]string{"3>2"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPager(tt.o)
			got := pairIDs(t, p, docs("1", tt.revs...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pairs %v, want %v", got, tt.want)
			}
			if st := p.Stats(); st.Reverts != tt.reverts || st.Pairs != len(tt.want) || st.Revisions != len(tt.revs) {
				t.Errorf("stats %+v, want %d reverts and %d pairs", st, tt.reverts, len(tt.want))
			}
		})
	}
}

func TestPagerStartsOverOnAnotherPage(t *testing.T) {
	p := NewPager(DefaultOptions())
	revs := append(docs("1", texts("A", "B")...), docs("2", texts("A")...)...)
	if got := pairIDs(t, p, revs); got != nil {
		t.Errorf("pairs across pages: %v", got)
	}
}

func TestPagerPair(t *testing.T) {
	good := "Lead paragraph.\n\n== History ==\nFounded in 1900.\n\nGrew in 1950.\n\n== Geography ==\nHills."
	bad := "Lead paragraph.\n\n== History ==\nFounded in 1900.\n\nLOL VANDAL WAS HERE\n\n== Geography ==\nHills."
	revs := docs("42", texts(good, bad, good)...)
	var pairs []schemas.Pair
	p := NewPager(DefaultOptions())
	for _, d := range revs {
		pairs = p.Add(d)
	}
	want := schemas.Pair{
		PairID:        schemas.PairID("wikipedia", "testwiki", "42", "3", "2"),
		Source:        "wikipedia",
		Dump:          "testwiki",
		ThreadID:      "42",
		ChosenID:      "3",
		RejectedID:    "2",
		Prompt:        "Page 42\n\nSection: History",
		Chosen:        "== History ==\nFounded in 1900.\n\nGrew in 1950.\n\n== Geography ==\nHills.",
		Rejected:      "== History ==\nFounded in 1900.\n\nLOL VANDAL WAS HERE\n\n== Geography ==\nHills.",
		ChosenScore:   1,
		RejectedScore: 0,
		Margin:        1,
		Split:         schemas.SplitOf("wikipedia", "testwiki", "42"),
		Recipe:        "reverts/v1",
		Basis:         "revert",
	}
	if len(pairs) != 1 || pairs[0] != want {
		t.Fatalf("got %+v\nwant %+v", pairs, want)
	}
}

func TestPagerSkipsBlankLineOnlyChanges(t *testing.T) {
	p := NewPager(DefaultOptions())
	if got := pairIDs(t, p, docs("1", texts("a\n\nb", "a\n\n\n\nb", "a\n\nb")...)); got != nil {
		t.Errorf("pairs %v", got)
	}
	if st := p.Stats(); st.Reverts != 1 || st.SkippedNoChange != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestPagerCapsTexts(t *testing.T) {
	long := strings.Repeat("é", 100)
	p := NewPager(Options{MaxTextBytes: 51})
	var pair schemas.Pair
	for _, d := range docs("1", texts(long, "short", long)...) {
		if pairs := p.Add(d); len(pairs) == 1 {
			pair = pairs[0]
		}
	}
	if pair.Chosen != strings.Repeat("é", 25) || pair.Rejected != "short" {
		t.Errorf("chosen %q, rejected %q", pair.Chosen, pair.Rejected)
	}
}

func TestParseExtraTolerance(t *testing.T) {
	d := docs("1", texts("A", "B", "A")...)
	for i := range d {
		d[i].Extra = "" // no sha1: computed from the text
	}
	if got := pairIDs(t, NewPager(DefaultOptions()), d); !reflect.DeepEqual(got, []string{"3>2"}) {
		t.Errorf("pairs %v", got)
	}
	d[0].Extra = "{not json"
	if got := pairIDs(t, NewPager(DefaultOptions()), d); !reflect.DeepEqual(got, []string{"3>2"}) {
		t.Errorf("pairs with malformed extra %v", got)
	}
}
