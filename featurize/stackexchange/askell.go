package stackexchange

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prefstream/prefstream/featurize/textclean"
	"github.com/prefstream/prefstream/schemas"
)

// Recipe names the preset and its version, recorded on every pair.
const Recipe = "askell/v1"

// Source is the Document.Source of Stack Exchange dumps.
const Source = "stackexchange"

// Bases of the scores, recorded in Pair.Basis.
const (
	BasisVotes = "votes" // VoteTypeId=2 counts from Votes.xml
	BasisScore = "score" // the posts' net Score
)

// Reasons a thread gives no pairs, in Result.Skipped. A thread gets the first that applies, in
// this order, which checks the answers before the question's text so that a question with
// fewer than two answers costs no HTML conversion at all.
const (
	SkipNoQuestion         = "no question"
	SkipQuestionDeleted    = "question deleted"
	SkipQuestionFabricated = "question fabricated"
	SkipFewAnswers         = "fewer than 2 answers with text"
	SkipQuestionEmpty      = "question without text"
	SkipAllTied            = "all answers scored equal"
)

// FabricatedMinID is the smallest post Id of the rows some dumps fabricate (with OwnerUserId -1).
const FabricatedMinID = 1_000_000_000

// Options are the recipe's flags.
type Options struct {
	// MaxPairsPerThread keeps at most this many pairs per question; 0 (or less) keeps all.
	MaxPairsPerThread int
	// Seed picks which pairs the cap keeps.
	Seed uint64
}

// Result is what one thread gave.
type Result struct {
	Pairs []schemas.Pair
	// Skipped is "" when the thread gave pairs, otherwise a short reason (the Skip constants),
	// for the caller to count.
	Skipped string
}

// answer is an answer that passed the filters.
type answer struct {
	doc   *schemas.Document
	text  string
	score int
}

// Pairs applies the askell recipe to one question and its answers.
func Pairs(question *schemas.Document, answers []schemas.Document, o Options) Result {
	if question == nil {
		return Result{Skipped: SkipNoQuestion}
	}
	if reason := questionProblem(question); reason != "" {
		return Result{Skipped: reason}
	}
	usable := usableAnswers(answers)
	if len(usable) < 2 {
		return Result{Skipped: SkipFewAnswers}
	}
	body := textclean.HTMLToText(question.Text)
	if body == "" {
		return Result{Skipped: SkipQuestionEmpty}
	}
	var res Result
	basis := threadBasis(usable)
	for i := range usable {
		usable[i].score = score(usable[i].doc, question.AcceptedID, basis)
	}
	t := newThread(question, prompt(question.Title, body), basis)
	res.Pairs = t.pairs(capMatches(t.matches(usable), o))
	if len(res.Pairs) == 0 {
		res.Skipped = SkipAllTied
	}
	return res
}

// AnswerScore is the askell score of an answer to the question whose AcceptedAnswerId is
// acceptedID ("" when none), on the answer's own basis: its vote count when it has one,
// otherwise its net Score.
func AnswerScore(answer *schemas.Document, acceptedID string) int {
	return score(answer, acceptedID, basisOf(answer))
}

func score(a *schemas.Document, acceptedID, basis string) int {
	if a.Score < 0 {
		return -1
	}
	upvotes := a.Score
	if basis == BasisVotes {
		upvotes = max(a.Upvotes, 0)
	}
	s := int(math.Round(math.Log2(1 + float64(upvotes))))
	if acceptedID != "" && a.ID == acceptedID {
		s++
	}
	return s
}

func basisOf(a *schemas.Document) string {
	if a.Upvotes >= 0 {
		return BasisVotes
	}
	return BasisScore
}

// threadBasis is votes when every answer has its vote count, score otherwise.
func threadBasis(answers []answer) string {
	for _, a := range answers {
		if basisOf(a.doc) == BasisScore {
			return BasisScore
		}
	}
	return BasisVotes
}

func questionProblem(q *schemas.Document) string {
	switch {
	case q.Has(schemas.FlagDeleted):
		return SkipQuestionDeleted
	case fabricated(q):
		return SkipQuestionFabricated
	}
	return ""
}

// fabricated reports a row the dump made up: flagged by ingest, or recognised by its Id and
// owner when ingest left the raw OwnerUserId in Author.
func fabricated(d *schemas.Document) bool {
	if d.Has(schemas.FlagFabricated) {
		return true
	}
	id, err := strconv.ParseInt(d.ID, 10, 64)
	return err == nil && id >= FabricatedMinID && d.Author == "-1"
}

// usableAnswers returns the answers that are not deleted, fabricated, empty or repeated, with
// their text, ordered by id; nil, converting no HTML, when fewer than two are left before the
// texts are looked at.
func usableAnswers(docs []schemas.Document) []answer {
	usable := make([]answer, 0, len(docs))
	for i := range docs {
		if d := &docs[i]; !d.Has(schemas.FlagDeleted) && !fabricated(d) {
			usable = append(usable, answer{doc: d})
		}
	}
	if len(usable) < 2 {
		return nil
	}
	withText := usable[:0]
	for _, a := range usable {
		if a.text = textclean.HTMLToText(a.doc.Text); a.text != "" {
			withText = append(withText, a)
		}
	}
	slices.SortStableFunc(withText, func(a, b answer) int { return compareIDs(a.doc.ID, b.doc.ID) })
	return slices.CompactFunc(withText, func(a, b answer) bool { return a.doc.ID == b.doc.ID })
}

// compareIDs orders decimal ids by value, and any other ids after them by text.
func compareIDs(a, b string) int {
	da, db := isDecimal(a), isDecimal(b)
	switch {
	case da && db:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	case da != db:
		if da {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func prompt(title, body string) string {
	title = strings.TrimSpace(strings.ToValidUTF8(title, "\uFFFD"))
	if title == "" {
		return body
	}
	return title + "\n\n" + body
}

// thread holds what the pairs of one question share.
type thread struct {
	dump, id, prompt, split, basis string
}

func newThread(q *schemas.Document, prompt, basis string) thread {
	id := cmp.Or(q.ThreadID, q.ID)
	return thread{dump: q.Dump, id: id, prompt: prompt, split: schemas.SplitOf(Source, q.Dump, id), basis: basis}
}

// match is a pair before it is written out: the higher scored answer first.
type match struct {
	chosen, rejected *answer
	id               string
}

// matches pairs every two answers whose scores differ, in answer order.
func (t thread) matches(answers []answer) []match {
	n := len(answers)
	matches := make([]match, 0, n*(n-1)/2)
	for i := range answers {
		for j := i + 1; j < n; j++ {
			a, b := &answers[i], &answers[j]
			if a.score == b.score {
				continue
			}
			if a.score < b.score {
				a, b = b, a
			}
			id := schemas.PairID(Source, t.dump, t.id, a.doc.ID, b.doc.ID)
			matches = append(matches, match{chosen: a, rejected: b, id: id})
		}
	}
	return matches
}

func (t thread) pairs(matches []match) []schemas.Pair {
	if len(matches) == 0 {
		return nil
	}
	pairs := make([]schemas.Pair, len(matches))
	for i, m := range matches {
		pairs[i] = t.pair(m)
	}
	return pairs
}

func (t thread) pair(m match) schemas.Pair {
	return schemas.Pair{
		PairID:        m.id,
		Source:        Source,
		Dump:          t.dump,
		ThreadID:      t.id,
		ChosenID:      m.chosen.doc.ID,
		RejectedID:    m.rejected.doc.ID,
		Prompt:        t.prompt,
		Chosen:        m.chosen.text,
		Rejected:      m.rejected.text,
		ChosenScore:   float64(m.chosen.score),
		RejectedScore: float64(m.rejected.score),
		Margin:        float64(m.chosen.score - m.rejected.score),
		Split:         t.split,
		Recipe:        Recipe,
		Basis:         t.basis,
	}
}
