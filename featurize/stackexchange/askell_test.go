package stackexchange

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

const dump = "cooking.stackexchange.com"

func question(id, accepted string) *schemas.Document {
	return &schemas.Document{
		Source: Source, Dump: dump, ID: id, ThreadID: id, Kind: schemas.KindQuestion, Author: "3",
		Score: 4, Upvotes: -1, AcceptedID: accepted, Title: "  How do I boil an egg? ",
		Text: "<p>I keep <em>cracking</em> them &amp; I don't know why.</p>",
	}
}

// answerDoc is an answer of question "1" with a net score and no vote count.
func answerDoc(id string, score int64) schemas.Document {
	return schemas.Document{
		Source: Source, Dump: dump, ID: id, ThreadID: "1", ParentID: "1", Kind: schemas.KindAnswer,
		Author: "5", Score: score, Upvotes: -1, Text: "<p>Answer " + id + "</p>",
	}
}

func withVotes(d schemas.Document, upvotes int64) schemas.Document {
	d.Upvotes = upvotes
	return d
}

func TestAnswerScore(t *testing.T) {
	cases := []struct {
		name           string
		score, upvotes int64
		id, acceptedID string
		want           int
	}{
		{"score 0", 0, -1, "7", "", 0},
		{"score 1", 1, -1, "7", "", 1},
		{"score 2 rounds up", 2, -1, "7", "", 2},
		{"score 3", 3, -1, "7", "", 2},
		{"score 4 rounds down", 4, -1, "7", "", 2},
		{"score 5 rounds up", 5, -1, "7", "", 3},
		{"score 6", 6, -1, "7", "", 3},
		{"score 10", 10, -1, "7", "", 3},
		{"score 11", 11, -1, "7", "", 4},
		{"votes 0", 0, 0, "7", "", 0},
		{"votes 0 despite score", 3, 0, "7", "", 0},
		{"votes 1", 0, 1, "7", "", 1},
		{"votes 2", 1, 2, "7", "", 2},
		{"votes 3", 1, 3, "7", "", 2},
		{"votes 5", 1, 5, "7", "", 3},
		{"votes 6", 1, 6, "7", "", 3},
		{"votes over score", 1, 100, "7", "", 7},
		{"accepted", 3, -1, "7", "7", 3},
		{"accepted at zero", 0, -1, "7", "7", 1},
		{"accepted votes", 0, 1, "7", "7", 2},
		{"other accepted", 3, -1, "7", "8", 2},
		{"negative", -1, -1, "7", "", -1},
		{"negative wins over accepted", -2, -1, "7", "7", -1},
		{"negative wins over votes", -1, 50, "7", "7", -1},
		{"no accepted id", 0, -1, "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := schemas.Document{ID: tc.id, Score: tc.score, Upvotes: tc.upvotes}
			if got := AnswerScore(&d, tc.acceptedID); got != tc.want {
				t.Errorf("AnswerScore(score %d, upvotes %d, accepted %v) = %d, want %d",
					tc.score, tc.upvotes, tc.id == tc.acceptedID, got, tc.want)
			}
		})
	}
}

func TestPairFields(t *testing.T) {
	q := question("1", "")
	res := Pairs(q, []schemas.Document{answerDoc("2", 0), answerDoc("3", 1)}, Options{})
	want := schemas.Pair{
		PairID: schemas.PairID(Source, dump, "1", "3", "2"), Source: Source, Dump: dump, ThreadID: "1",
		ChosenID: "3", RejectedID: "2",
		Prompt: "How do I boil an egg?\n\nI keep cracking them & I don't know why.",
		Chosen: "Answer 3", Rejected: "Answer 2", ChosenScore: 1, RejectedScore: 0, Margin: 1,
		Split: schemas.SplitOf(Source, dump, "1"), Recipe: Recipe, Basis: BasisScore,
	}
	if res.Skipped != "" || len(res.Pairs) != 1 || res.Pairs[0] != want {
		t.Fatalf("got %+v\nwant one pair %+v", res, want)
	}
}

func TestBasis(t *testing.T) {
	// A has more votes, B a higher net score.
	a, b := withVotes(answerDoc("2", 2), 10), withVotes(answerDoc("3", 5), 0)
	res := Pairs(question("1", ""), []schemas.Document{a, b}, Options{})
	checkPairs(t, res, "2>3")
	if res.Pairs[0].Basis != BasisVotes || res.Pairs[0].ChosenScore != 3 || res.Pairs[0].Margin != 3 {
		t.Errorf("votes basis: %+v", res.Pairs[0])
	}
	// One answer without a vote count puts the whole thread on net scores.
	c := answerDoc("4", 5)
	res = Pairs(question("1", ""), []schemas.Document{a, b, c}, Options{})
	checkPairs(t, res, "3>2", "4>2")
	for _, p := range res.Pairs {
		if p.Basis != BasisScore {
			t.Errorf("basis %q, want %q", p.Basis, BasisScore)
		}
	}
}

func TestScoresDecidePairs(t *testing.T) {
	cases := []struct {
		name     string
		accepted string
		answers  []schemas.Document
		want     []string // chosen>rejected, in output order
		skipped  string
	}{
		{"ties give no pair", "", []schemas.Document{answerDoc("2", 3), answerDoc("3", 3), answerDoc("4", 2)}, nil, SkipAllTied},
		{"ties among others", "", []schemas.Document{answerDoc("2", 3), answerDoc("3", 2), answerDoc("4", 1)},
			[]string{"2>4", "3>4"}, ""},
		{"accepted bonus breaks a tie", "3", []schemas.Document{answerDoc("2", 3), answerDoc("3", 3)}, []string{"3>2"}, ""},
		{"accepted bonus makes a tie", "3", []schemas.Document{answerDoc("2", 5), answerDoc("3", 2)}, nil, SkipAllTied},
		{"negative loses to zero", "", []schemas.Document{answerDoc("2", -1), answerDoc("3", 0)}, []string{"3>2"}, ""},
		{"negative accepted loses to zero", "2", []schemas.Document{answerDoc("2", -1), answerDoc("3", 0)}, []string{"3>2"}, ""},
		{"negatives tie", "", []schemas.Document{answerDoc("2", -1), answerDoc("3", -9)}, nil, SkipAllTied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Pairs(question("1", tc.accepted), tc.answers, Options{})
			checkPairs(t, res, tc.want...)
			if res.Skipped != tc.skipped {
				t.Errorf("skipped %q, want %q", res.Skipped, tc.skipped)
			}
		})
	}
}

func TestAllPairsOfDistinctScores(t *testing.T) {
	for k := 2; k <= 8; k++ {
		var answers []schemas.Document
		for i := range k {
			answers = append(answers, answerDoc(strconv.Itoa(10+i), int64(1)<<i-1)) // scores 0..k-1
		}
		res := Pairs(question("1", ""), answers, Options{})
		if len(res.Pairs) != k*(k-1)/2 {
			t.Fatalf("k=%d: %d pairs", k, len(res.Pairs))
		}
		for _, p := range res.Pairs {
			if p.ChosenScore <= p.RejectedScore || p.Margin != p.ChosenScore-p.RejectedScore {
				t.Fatalf("k=%d: %+v", k, p)
			}
		}
	}
}

func TestSkippedAnswers(t *testing.T) {
	deleted := answerDoc("3", 100)
	deleted.Flags = schemas.FlagDeleted
	empty := answerDoc("4", 50)
	empty.Text = "<p> &nbsp; </p><!-- nothing -->"
	flagged := answerDoc("5", 40)
	flagged.Flags = schemas.FlagFabricated
	byRule := answerDoc("1000000001", 30)
	byRule.Author = "-1"
	owned := answerDoc("1000000002", 20) // a high id with a real owner is a real answer
	blank := answerDoc("6", 10)
	blank.Text = "   "

	answers := []schemas.Document{answerDoc("2", 0), deleted, empty, flagged, byRule, owned, blank}
	res := Pairs(question("1", ""), answers, Options{})
	checkPairs(t, res, "1000000002>2")
}

func TestSkippedThreads(t *testing.T) {
	two := []schemas.Document{answerDoc("2", 0), answerDoc("3", 1)}
	deletedQ := question("1", "")
	deletedQ.Flags = schemas.FlagDeleted
	fabricatedQ := question("1000000000", "")
	fabricatedQ.Author = "-1"
	emptyQ := question("1", "")
	emptyQ.Text = "<p></p>"
	deletedAnswer := answerDoc("3", 1)
	deletedAnswer.Flags = schemas.FlagDeleted
	emptyAnswer := answerDoc("3", 1)
	emptyAnswer.Text = "<p> </p>"

	cases := []struct {
		name    string
		q       *schemas.Document
		answers []schemas.Document
		skipped string
	}{
		{"no question", nil, two, SkipNoQuestion},
		{"deleted question", deletedQ, two, SkipQuestionDeleted},
		{"fabricated question", fabricatedQ, two, SkipQuestionFabricated},
		{"empty question", emptyQ, two, SkipQuestionEmpty},
		{"empty question, one answer: the answers are checked first", emptyQ, two[:1], SkipFewAnswers},
		{"deleted question, no answers: the question is checked first", deletedQ, nil, SkipQuestionDeleted},
		{"no answers", question("1", ""), nil, SkipFewAnswers},
		{"one answer", question("1", ""), two[:1], SkipFewAnswers},
		{"one answer with text", question("1", ""), []schemas.Document{answerDoc("2", 0), deletedAnswer}, SkipFewAnswers},
		{"one answer with text of two candidates", question("1", ""), []schemas.Document{answerDoc("2", 0), emptyAnswer}, SkipFewAnswers},
		{"duplicate answer", question("1", ""), []schemas.Document{answerDoc("2", 0), answerDoc("2", 5)}, SkipFewAnswers},
		{"two answers, one score", question("1", ""), []schemas.Document{answerDoc("2", 3), answerDoc("3", 3)}, SkipAllTied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Pairs(tc.q, tc.answers, Options{})
			if res.Skipped != tc.skipped || len(res.Pairs) != 0 {
				t.Errorf("got %+v, want skipped %q", res, tc.skipped)
			}
		})
	}
}

func TestOrderIsByID(t *testing.T) {
	answers := []schemas.Document{answerDoc("10", 7), answerDoc("9", 0), answerDoc("100", 3), answerDoc("x", 1)}
	res := Pairs(question("1", ""), answers, Options{})
	checkPairs(t, res, "10>9", "100>9", "x>9", "10>100", "10>x", "100>x")
	slices.Reverse(answers)
	if again := Pairs(question("1", ""), answers, Options{}); !reflect.DeepEqual(again, res) {
		t.Errorf("answer order changed the result")
	}
}

func TestCap(t *testing.T) {
	var answers []schemas.Document
	for i := range 6 {
		answers = append(answers, answerDoc(strconv.Itoa(2+i), int64(1)<<i-1))
	}
	all := Pairs(question("1", ""), answers, Options{}).Pairs
	if len(all) != 15 {
		t.Fatalf("%d pairs without a cap", len(all))
	}
	for _, n := range []int{-1, 0, 15, 16} {
		if got := Pairs(question("1", ""), answers, Options{MaxPairsPerThread: n}).Pairs; len(got) != 15 {
			t.Errorf("cap %d kept %d pairs", n, len(got))
		}
	}
	selections := map[string]bool{}
	for seed := range uint64(20) {
		o := Options{MaxPairsPerThread: 4, Seed: seed}
		kept := Pairs(question("1", ""), answers, o).Pairs
		if len(kept) != 4 || !isSubsequence(kept, all) {
			t.Fatalf("seed %d: kept %v", seed, pairNames(kept))
		}
		rerun := slices.Clone(answers)
		slices.Reverse(rerun)
		if again := Pairs(question("1", ""), rerun, o).Pairs; !reflect.DeepEqual(again, kept) {
			t.Fatalf("seed %d: rerun kept %v, first run %v", seed, pairNames(again), pairNames(kept))
		}
		selections[fmt.Sprint(pairNames(kept))] = true
	}
	if len(selections) < 10 {
		t.Errorf("20 seeds made only %d different selections", len(selections))
	}
}

func isSubsequence(sub, all []schemas.Pair) bool {
	i := 0
	for _, p := range all {
		if i < len(sub) && sub[i] == p {
			i++
		}
	}
	return i == len(sub)
}

func pairNames(pairs []schemas.Pair) []string {
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p.ChosenID + ">" + p.RejectedID
	}
	return names
}

func checkPairs(t *testing.T, res Result, want ...string) {
	t.Helper()
	if got := pairNames(res.Pairs); !slices.Equal(got, want) {
		t.Errorf("pairs %v, want %v (skipped %q)", got, want, res.Skipped)
	}
}
