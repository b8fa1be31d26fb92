package reddit

import (
	"fmt"

	"github.com/prefstream/prefstream/schemas"
)

// PairsSHP pairs the top-level comments of one thread by the shp preset.
func PairsSHP(docs []schemas.Document, o Options) Result {
	t := newThread(docs)
	post := t.submission
	if why := shpPostRejection(post, o); why != "" {
		return Result{Skipped: why}
	}
	comments := shpComments(t, post, o)
	if len(comments) < 2 {
		return Result{Skipped: fmt.Sprintf("%d eligible top-level comments, fewer than 2", len(comments))}
	}
	prompt := joinPrompt(post.Title, post.Text)
	var pairs []schemas.Pair
	for i, a := range comments {
		for _, b := range comments[i+1:] {
			if chosen, rejected, ok := shpOrder(a, b, o); ok {
				pairs = append(pairs, t.pair(SHP, prompt, chosen, rejected))
			}
		}
	}
	return result(pairs, o, "no two comments meet the score rules")
}

// shpPostRejection says why a submission cannot prompt shp pairs, or "".
func shpPostRejection(post *schemas.Document, o Options) string {
	switch {
	case post == nil:
		return "no submission in the input"
	case !post.Has(schemas.FlagSelfPost):
		return "not a self-post"
	case post.Has(schemas.FlagNSFW):
		return "NSFW post"
	case post.Has(schemas.FlagDeleted):
		return "post text deleted or removed"
	case post.Score < o.MinPostScore:
		return fmt.Sprintf("post score %d below %d", post.Score, o.MinPostScore)
	}
	return ""
}

// shpComments are the post's top-level comments that may take part, in
// thread order.
func shpComments(t thread, post *schemas.Document, o Options) []*schemas.Document {
	var comments []*schemas.Document
	for _, d := range t.docs {
		if d.ParentID == post.ID && shpEligible(d, post, o) {
			comments = append(comments, d)
		}
	}
	return comments
}

func shpEligible(d, post *schemas.Document, o Options) bool {
	return usable(d) &&
		!d.Has(schemas.FlagAuthorDeleted) &&
		!d.Has(schemas.FlagDistinguished) &&
		!(post.Author != "" && d.Author == post.Author) &&
		d.Score >= o.MinCommentScore
}

// shpOrder returns the preferred comment first: strictly higher score,
// created no earlier, and at least MinScoreRatio times the other's score.
func shpOrder(a, b *schemas.Document, o Options) (chosen, rejected *schemas.Document, ok bool) {
	if a.Score < b.Score {
		a, b = b, a
	}
	ok = a.Score > b.Score &&
		a.CreatedUnix >= b.CreatedUnix &&
		float64(a.Score) >= o.MinScoreRatio*float64(b.Score)
	return a, b, ok
}
