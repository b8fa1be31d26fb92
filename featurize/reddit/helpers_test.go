package reddit

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

const testPost = "t3_p"

// post is a self-post that passes every shp rule.
func post(mods ...func(*schemas.Document)) schemas.Document {
	d := schemas.Document{
		Source: Source, Dump: "2015-01", ID: testPost, ThreadID: testPost, Kind: schemas.KindSubmission,
		Author: "op", CreatedUnix: 10, Score: 50, Upvotes: -1, Title: "Why is the sky blue?",
		Text: "Asking for a friend.", Tags: "askscience", Flags: schemas.FlagSelfPost,
	}
	for _, mod := range mods {
		mod(&d)
	}
	return d
}

// reply is a comment of the test thread, top-level unless a mod says not.
func reply(id string, score, created int64, mods ...func(*schemas.Document)) schemas.Document {
	d := schemas.Document{
		Source: Source, Dump: "2015-01", ID: "t1_" + id, ThreadID: testPost, ParentID: testPost,
		Kind: schemas.KindComment, Author: "user_" + id, CreatedUnix: created, Score: score, Upvotes: -1,
		Text: "answer " + id, Tags: "askscience",
	}
	for _, mod := range mods {
		mod(&d)
	}
	return d
}

func flagged(flags int64) func(*schemas.Document) {
	return func(d *schemas.Document) { d.Flags |= flags }
}

func by(author string) func(*schemas.Document) {
	return func(d *schemas.Document) { d.Author = author }
}

func under(parent string) func(*schemas.Document) {
	return func(d *schemas.Document) { d.ParentID = parent }
}

func deleted(d *schemas.Document) { d.Flags |= schemas.FlagDeleted; d.Text = "" }

// pairIDs lists "chosen>rejected" for each pair, without the t1_ prefix.
func pairIDs(pairs []schemas.Pair) []string {
	var out []string
	for _, p := range pairs {
		out = append(out, p.ChosenID[3:]+">"+p.RejectedID[3:])
	}
	return out
}

// checkShuffled checks that the result does not depend on input order.
func checkShuffled(t *testing.T, f func([]schemas.Document, Options) Result, docs []schemas.Document, o Options) {
	t.Helper()
	want := f(docs, o)
	rng := rand.New(rand.NewPCG(1, 1))
	for range 5 {
		shuffled := slices.Clone(docs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := f(shuffled, o); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled input changes the result:\n got %v\nwant %v", pairIDs(got.Pairs), pairIDs(want.Pairs))
		}
	}
}
