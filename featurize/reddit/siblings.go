package reddit

import (
	"fmt"

	"github.com/prefstream/prefstream/schemas"
)

// PairsSiblings pairs the replies to each parent of one thread by the
// siblings preset.
func PairsSiblings(docs []schemas.Document, o Options) Result {
	t := newThread(docs)
	replies := make(map[string][]*schemas.Document)
	for _, d := range t.docs {
		if usable(d) {
			replies[d.ParentID] = append(replies[d.ParentID], d)
		}
	}
	minDiff := max(o.MinScoreDiff, 1)
	var pairs []schemas.Pair
	groups := 0
	for _, parent := range t.docs {
		siblings := replies[parent.ID]
		prompt, ok := t.siblingsPrompt(parent)
		if len(siblings) < 2 || !ok {
			continue
		}
		groups++
		for i, a := range siblings {
			for _, b := range siblings[i+1:] {
				if chosen, rejected, ok := siblingsOrder(a, b, minDiff); ok {
					pairs = append(pairs, t.pair(Siblings, prompt, chosen, rejected))
				}
			}
		}
	}
	if groups == 0 {
		return Result{Skipped: "no parent in the input has 2 replies with text"}
	}
	return result(pairs, o, fmt.Sprintf("no two replies' scores differ by %d or more", minDiff))
}

// siblingsPrompt is the prompt for replies to parent; false when the
// parent's text is gone.
func (t thread) siblingsPrompt(parent *schemas.Document) (string, bool) {
	if parent.Kind == schemas.KindSubmission {
		return joinPrompt(parent.Title, parent.Text), parent.Title != "" || parent.Text != ""
	}
	if parent.Has(schemas.FlagDeleted) || parent.Text == "" {
		return "", false
	}
	if t.submission == nil {
		return parent.Text, true
	}
	return joinPrompt(t.submission.Title, parent.Text), true
}

func siblingsOrder(a, b *schemas.Document, minDiff int64) (chosen, rejected *schemas.Document, ok bool) {
	if a.Score < b.Score {
		a, b = b, a
	}
	return a, b, scoreDiff(a, b) >= uint64(minDiff)
}
