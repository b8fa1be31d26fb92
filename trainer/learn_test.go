package trainer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

var plantedWords = strings.Fields(`the a river stone cloud paper window garden music yellow quiet
	fast under over with without seven green table letter morning evening bread glass`)

// plantedPairs makes pairs whose chosen response, and only it, mentions "banana".
func plantedPairs(rng *rand.Rand, n int) []schemas.Pair {
	sentence := func(k int) []string {
		w := make([]string, k)
		for i := range w {
			w[i] = plantedWords[rng.IntN(len(plantedWords))]
		}
		return w
	}
	pairs := make([]schemas.Pair, n)
	for i := range pairs {
		good := sentence(10)
		good[rng.IntN(len(good))] = "banana"
		pairs[i] = schemas.Pair{
			Prompt:   strings.Join(sentence(6), " ") + "?",
			Chosen:   strings.Join(good, " "),
			Rejected: strings.Join(sentence(10), " "),
		}
	}
	return pairs
}

func trainTokenizer(t testing.TB, pairs []schemas.Pair, vocab int) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Train(func(yield func([]byte) bool) {
		for _, p := range pairs {
			if !yield([]byte(p.Prompt)) || !yield([]byte(p.Chosen)) || !yield([]byte(p.Rejected)) {
				return
			}
		}
	}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func accuracy(t testing.TB, m *Model, tok *tokenizer.Tokenizer, pairs []schemas.Pair) float64 {
	t.Helper()
	s, err := NewScorer(m, tok)
	if err != nil {
		t.Fatal(err)
	}
	margins, err := s.Margins(pairs)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, mg := range margins {
		if mg > 0 {
			right++
		}
	}
	return float64(right) / float64(len(margins))
}

func TestLearnsPlantedRule(t *testing.T) {
	for _, obj := range []Objective{Ranked, Binarized, Discrimination, Imitation} {
		t.Run(string(obj), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			train, test := plantedPairs(rng, 2400), plantedPairs(rng, 300)
			tok := trainTokenizer(t, train, 400)
			c := Config{Vocab: tok.Vocab(), Context: 32, DModel: 32, Layers: 2, Heads: 2, DFF: 64, Kind: obj.Kind()}
			m, err := New(c, 3)
			if err != nil {
				t.Fatal(err)
			}
			st, err := NewStepper(m, tok, obj, 16, 2e-3)
			if err != nil {
				t.Fatal(err)
			}
			before := accuracy(t, m, tok, test)
			for epoch := 0; epoch < 1; epoch++ {
				for i := 0; i+16 <= len(train); i += 16 {
					if _, err := st.Step(train[i : i+16]); err != nil {
						t.Fatal(err)
					}
				}
			}
			after := accuracy(t, m, tok, test)
			t.Logf("%s: held-out accuracy %.3f before, %.3f after %d steps", obj, before, after, len(train)/16)
			if after < 0.95 {
				t.Errorf("%s: held-out accuracy %.3f, want at least 0.95", obj, after)
			}
		})
	}
}
