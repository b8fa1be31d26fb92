package reddit

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"

	"github.com/prefstream/prefstream/schemas"
)

// Source is the Pair.Source of every Reddit pair.
const Source = "reddit"

// basis names what the pair scores are.
const basis = "score"

// splitDump is the dump SplitOf is keyed with: none, so that a thread's
// split does not depend on the month its comments were read from.
const splitDump = ""

// thread is one thread's documents, sorted and without duplicate ids.
type thread struct {
	docs       []*schemas.Document
	submission *schemas.Document // nil when not in the input
	id, dump   string
}

func newThread(input []schemas.Document) thread {
	docs := make([]*schemas.Document, 0, len(input))
	for i := range input {
		docs = append(docs, &input[i])
	}
	slices.SortFunc(docs, compareDocs)
	seen := make(map[string]bool, len(docs))
	docs = slices.DeleteFunc(docs, func(d *schemas.Document) bool {
		dup := seen[d.ID]
		seen[d.ID] = true
		return dup
	})
	t := thread{docs: docs}
	for _, d := range docs {
		if d.Kind == schemas.KindSubmission && t.submission == nil {
			t.submission = d
		}
	}
	t.id, t.dump = t.key()
	return t
}

// compareDocs orders documents by creation and id, then by every other field
// a recipe reads, so that which of two copies of an id is kept never depends
// on the input order.
func compareDocs(a, b *schemas.Document) int {
	return cmp.Or(
		cmp.Compare(a.CreatedUnix, b.CreatedUnix), cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Dump, b.Dump), cmp.Compare(a.SourceFile, b.SourceFile), cmp.Compare(a.Offset, b.Offset),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ParentID, b.ParentID), cmp.Compare(a.ThreadID, b.ThreadID),
		cmp.Compare(a.Score, b.Score), cmp.Compare(a.Flags, b.Flags), cmp.Compare(a.Author, b.Author),
		cmp.Compare(a.Title, b.Title), cmp.Compare(a.Text, b.Text),
	)
}

// key is the thread's id and dump: the submission's, else the comments'.
func (t thread) key() (id, dump string) {
	if s := t.submission; s != nil {
		return s.ID, s.Dump
	}
	for _, d := range t.docs {
		if id == "" {
			id = d.ThreadID
		}
		if dump == "" || d.Dump < dump {
			dump = d.Dump
		}
	}
	return id, dump
}

// usable reports whether a comment can be a response at all.
func usable(d *schemas.Document) bool {
	return d.Kind == schemas.KindComment && !d.Has(schemas.FlagDeleted) && d.Text != ""
}

// joinPrompt is "title\n\ntext", or whichever of the two is not empty.
func joinPrompt(title, text string) string {
	switch {
	case title == "":
		return text
	case text == "":
		return title
	}
	return title + "\n\n" + text
}

func (t thread) pair(recipe, prompt string, chosen, rejected *schemas.Document) schemas.Pair {
	return schemas.Pair{
		PairID:        schemas.PairID(Source, t.dump, t.id, chosen.ID, rejected.ID),
		Source:        Source,
		Dump:          t.dump,
		ThreadID:      t.id,
		ChosenID:      chosen.ID,
		RejectedID:    rejected.ID,
		Prompt:        prompt,
		Chosen:        chosen.Text,
		Rejected:      rejected.Text,
		ChosenScore:   float64(chosen.Score),
		RejectedScore: float64(rejected.Score),
		Margin:        float64(scoreDiff(chosen, rejected)),
		Split:         schemas.SplitOf(Source, splitDump, t.id),
		Recipe:        recipe,
		Basis:         basis,
	}
}

// scoreDiff is a.Score - b.Score for a.Score >= b.Score, exact even where
// the int64 difference would overflow.
func scoreDiff(a, b *schemas.Document) uint64 {
	return uint64(a.Score) - uint64(b.Score)
}

// result caps the pairs and says why there are none.
func result(pairs []schemas.Pair, o Options, whyNone string) Result {
	if len(pairs) == 0 {
		return Result{Skipped: whyNone}
	}
	return Result{Pairs: capPairs(pairs, o.MaxPairsPerThread, o.Seed)}
}

// capPairs keeps the max pairs with the smallest seeded hashes of their ids,
// in their original order. max <= 0 keeps all.
func capPairs(pairs []schemas.Pair, max int, seed uint64) []schemas.Pair {
	if max <= 0 || len(pairs) <= max {
		return pairs
	}
	type ranked struct {
		hash  uint64
		index int
	}
	ranks := make([]ranked, len(pairs))
	for i := range pairs {
		ranks[i] = ranked{pairHash(seed, pairs[i].PairID), i}
	}
	slices.SortFunc(ranks, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(pairs[a.index].PairID, pairs[b.index].PairID))
	})
	ranks = ranks[:max]
	slices.SortFunc(ranks, func(a, b ranked) int { return cmp.Compare(a.index, b.index) })
	kept := make([]schemas.Pair, max)
	for i, r := range ranks {
		kept[i] = pairs[r.index]
	}
	return kept
}

func pairHash(seed uint64, pairID string) uint64 {
	h := fnv.New64a()
	h.Write(binary.LittleEndian.AppendUint64(nil, seed))
	h.Write([]byte(pairID))
	return h.Sum64()
}
