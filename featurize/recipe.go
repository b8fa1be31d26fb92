package featurize

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prefstream/prefstream/featurize/stackexchange"
	"github.com/prefstream/prefstream/schemas"
)

// Recipe pairs the documents of one thread.
type Recipe interface {
	// Name is the preset and its version, recorded on every pair.
	Name() string
	// Thread returns the pairs of one thread, the documents it could not use with the reason,
	// and, when the thread gave nothing, why.
	Thread(docs []schemas.Document) (pairs []schemas.Pair, rejects []Reject, skipped string)
}

// Reject is a document a recipe could not use.
type Reject struct {
	Doc    schemas.Document
	Reason string
}

// RecipeOptions are the recipe flags shared by the presets.
type RecipeOptions struct {
	MaxPairsPerThread int
	Seed              uint64
}

// Presets lists the pairing presets of each source, the default first.
var Presets = map[string][]string{
	"stackexchange": {"askell"},
}

// NewRecipe returns the named preset of source ("" picks the default).
func NewRecipe(source, preset string, o RecipeOptions) (Recipe, error) {
	names, ok := Presets[source]
	if !ok {
		return nil, fmt.Errorf("featurize: unknown source %q (known: %s)", source, strings.Join(sortedKeys(Presets), ", "))
	}
	if preset == "" {
		preset = names[0]
	}
	switch source + "=" + preset {
	case "stackexchange=askell":
		return askell{stackexchange.Options{MaxPairsPerThread: o.MaxPairsPerThread, Seed: o.Seed}}, nil
	}
	return nil, fmt.Errorf("featurize: source %s has no preset %q (known: %s)", source, preset, strings.Join(names, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type askell struct{ o stackexchange.Options }

func (askell) Name() string { return stackexchange.Recipe }

func (r askell) Thread(docs []schemas.Document) ([]schemas.Pair, []Reject, string) {
	var question *schemas.Document
	answers := make([]schemas.Document, 0, len(docs))
	for i := range docs {
		switch docs[i].Kind {
		case schemas.KindQuestion:
			question = &docs[i]
		case schemas.KindAnswer:
			answers = append(answers, docs[i])
		}
	}
	if question == nil {
		rejects := make([]Reject, len(answers))
		for i, a := range answers {
			rejects[i] = Reject{Doc: a, Reason: "answer whose question " + a.ThreadID + " is absent from the dump"}
		}
		return nil, rejects, "no question"
	}
	res := stackexchange.Pairs(question, answers, r.o)
	return res.Pairs, nil, res.Skipped
}
