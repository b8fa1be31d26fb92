package featurize

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prefstream/prefstream/featurize/reddit"
	"github.com/prefstream/prefstream/featurize/stackexchange"
	"github.com/prefstream/prefstream/featurize/wikipedia"
	"github.com/prefstream/prefstream/schemas"
)

// Recipe is a pairing preset: a ThreadRecipe or a StreamRecipe.
type Recipe interface {
	// Name is the preset and its version, recorded on every pair.
	Name() string
}

// ThreadRecipe pairs the documents of one thread, given all at once.
type ThreadRecipe interface {
	Recipe
	// Thread returns the pairs of one thread, the documents it could not use with the reason,
	// and, when the thread gave nothing, why. It may reorder and overwrite docs.
	Thread(docs []schemas.Document) (pairs []schemas.Pair, rejects []Reject, skipped string)
}

// StreamRecipe pairs documents that arrive in order, one thread after another (the revisions of
// a Wikipedia page), holding only what it needs; its dumps are ingested into a single bucket.
type StreamRecipe interface {
	Recipe
	// NewThread starts a thread: the function it returns sees the thread's documents in order
	// and returns the pairs each one completes.
	NewThread() func(schemas.Document) []schemas.Pair
}

// Reject is a document a recipe could not use.
type Reject struct {
	Doc    schemas.Document
	Reason string
}

// RecipeOptions are the recipe flags; each preset reads those it has.
type RecipeOptions struct {
	MaxPairsPerThread int
	Seed              uint64
	// MinScoreDiff is the reddit siblings preset's least score difference (default 1).
	MinScoreDiff int64
	// VandalismOnly keeps only Wikipedia reverts whose comment names vandalism or a revert tool.
	VandalismOnly bool
}

// Presets lists the pairing presets of each source, the default first.
var Presets = map[string][]string{
	"stackexchange": {"askell"},
	"reddit":        {"shp", "siblings"},
	"wikipedia":     {"reverts"},
}

// NewRecipe returns the named preset of source ("" picks the default).
func NewRecipe(source, preset string, o RecipeOptions) (Recipe, error) {
	names, ok := Presets[source]
	if !ok {
		return nil, fmt.Errorf("featurize: unknown source %q (known: %s)", source, strings.Join(slices.Sorted(maps.Keys(Presets)), ", "))
	}
	if preset == "" {
		preset = names[0]
	}
	switch source + "=" + preset {
	case "stackexchange=askell":
		return askell{stackexchange.Options{MaxPairsPerThread: o.MaxPairsPerThread, Seed: o.Seed}}, nil
	case "reddit=shp", "reddit=siblings":
		ro := reddit.DefaultOptions()
		ro.MaxPairsPerThread, ro.Seed = o.MaxPairsPerThread, o.Seed
		if o.MinScoreDiff > 0 {
			ro.MinScoreDiff = o.MinScoreDiff
		}
		if preset == "shp" {
			return redditRecipe{reddit.SHP, reddit.PairsSHP, ro}, nil
		}
		return redditRecipe{reddit.Siblings, reddit.PairsSiblings, ro}, nil
	case "wikipedia=reverts":
		wo := wikipedia.DefaultOptions()
		wo.VandalismOnly = o.VandalismOnly
		return reverts{wo}, nil
	}
	return nil, fmt.Errorf("featurize: source %s has no preset %q (known: %s)", source, preset, strings.Join(names, ", "))
}

type askell struct{ o stackexchange.Options }

func (askell) Name() string { return stackexchange.Recipe }

func (r askell) Thread(docs []schemas.Document) ([]schemas.Pair, []Reject, string) {
	var question schemas.Document
	hasQuestion := false
	answers := docs[:0] // in place: each answer moves to a place already read
	for i := range docs {
		switch docs[i].Kind {
		case schemas.KindQuestion:
			question, hasQuestion = docs[i], true
		case schemas.KindAnswer:
			answers = append(answers, docs[i])
		}
	}
	if !hasQuestion {
		rejects := make([]Reject, len(answers))
		for i, a := range answers {
			rejects[i] = Reject{Doc: a, Reason: "answer whose question " + a.ThreadID + " is absent from the dump"}
		}
		return nil, rejects, stackexchange.SkipNoQuestion
	}
	res := stackexchange.Pairs(&question, answers, r.o)
	return res.Pairs, nil, res.Skipped
}

type redditRecipe struct {
	name  string
	pairs func([]schemas.Document, reddit.Options) reddit.Result
	o     reddit.Options
}

func (r redditRecipe) Name() string { return r.name }

func (r redditRecipe) Thread(docs []schemas.Document) ([]schemas.Pair, []Reject, string) {
	res := r.pairs(docs, r.o)
	return res.Pairs, nil, res.Skipped
}

type reverts struct{ o wikipedia.Options }

func (reverts) Name() string { return wikipedia.Reverts }

func (r reverts) NewThread() func(schemas.Document) []schemas.Pair {
	return wikipedia.NewPager(r.o).Add
}
