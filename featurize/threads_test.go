package featurize

import (
	"reflect"
	"testing"

	"github.com/prefstream/prefstream/featurize/stackexchange"
	"github.com/prefstream/prefstream/schemas"
)

func TestGroupThreads(t *testing.T) {
	doc := func(thread, id string) schemas.Document { return schemas.Document{ThreadID: thread, ID: id} }
	cases := []struct {
		name string
		docs []schemas.Document
		want [][]string // ids of each thread, threads by key
	}{
		{"empty", nil, nil},
		{"one", []schemas.Document{doc("7", "7")}, [][]string{{"7"}}},
		{"interleaved, read order kept within a thread", []schemas.Document{
			doc("b", "1"), doc("a", "2"), doc("b", "3"), doc("c", "4"), doc("a", "5"), doc("b", "6"),
		}, [][]string{{"2", "5"}, {"1", "3", "6"}, {"4"}}},
		{"keys by text, not by number", []schemas.Document{doc("10", "x"), doc("9", "y"), doc("", "z")},
			[][]string{{"z"}, {"x"}, {"y"}}},
		{"repeated document", []schemas.Document{doc("q", "1"), doc("q", "1")}, [][]string{{"1", "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var batches [][]schemas.Document // in batches of 2, the last one shorter
			for rest := tc.docs; len(rest) > 0; rest = rest[min(2, len(rest)):] {
				batches = append(batches, rest[:min(2, len(rest))])
			}
			th := groupThreads(batches)
			var got [][]string
			var buf []schemas.Document
			for i := range th.spans {
				buf = th.thread(i, buf[:0])
				var ids []string
				for _, d := range buf {
					if d.ThreadID != buf[0].ThreadID {
						t.Fatalf("thread %d mixes %q and %q", i, buf[0].ThreadID, d.ThreadID)
					}
					ids = append(ids, d.ID)
				}
				got = append(got, ids)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAskellThreadFindsQuestionAnywhere(t *testing.T) {
	answer := func(id string, score int64) schemas.Document {
		return schemas.Document{Source: "stackexchange", Kind: schemas.KindAnswer, ID: id, ThreadID: "1",
			Score: score, Upvotes: score, Text: "<p>answer " + id + "</p>"}
	}
	question := schemas.Document{Source: "stackexchange", Kind: schemas.KindQuestion, ID: "1", ThreadID: "1",
		Title: "Why?", Text: "<p>Because.</p>", Upvotes: -1}
	answers := []schemas.Document{answer("2", 0), answer("3", 7), answer("4", 3)}
	want := stackexchange.Pairs(&question, answers, stackexchange.Options{}).Pairs
	if len(want) != 3 {
		t.Fatalf("the recipe gives %d pairs, want 3", len(want))
	}
	for at := 0; at <= len(answers); at++ {
		docs := append(append(append([]schemas.Document{}, answers[:at]...), question), answers[at:]...)
		got, rejects, skipped := askell{}.Thread(docs)
		if !reflect.DeepEqual(got, want) || len(rejects) != 0 || skipped != "" {
			t.Errorf("question at %d: %d pairs, %d rejects, skipped %q; want the recipe's %d pairs", at, len(got), len(rejects), skipped, len(want))
		}
	}
	_, rejects, skipped := askell{}.Thread(append([]schemas.Document{}, answers...))
	if len(rejects) != len(answers) || skipped != stackexchange.SkipNoQuestion {
		t.Errorf("without its question: %d rejects, skipped %q", len(rejects), skipped)
	}
	for i, r := range rejects {
		if r.Doc.ID != answers[i].ID {
			t.Errorf("reject %d is %s, want %s", i, r.Doc.ID, answers[i].ID)
		}
	}
}
