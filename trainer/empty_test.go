package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// Empty prompts and responses are valid samples: they train and score without error or NaN.
func TestEmptyTexts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	tok := trainTokenizer(t, plantedPairs(rng, 20), 280)
	for _, obj := range Objectives {
		c := Config{Vocab: tok.Vocab(), Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: obj.Kind()}
		m, _ := New(c, 1)
		st, err := NewStepper(m, tok, obj, 2, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		pairs := []schemas.Pair{{Prompt: "", Chosen: "", Rejected: "x"}, {Prompt: "q?", Chosen: "a", Rejected: ""}}
		if loss, err := st.Step(pairs); err != nil || math.IsNaN(loss) {
			t.Fatalf("%s: step on empty texts: loss %v, %v", obj, loss, err)
		}
		s, _ := NewScorer(m, tok)
		scores, err := s.Score([]string{"", "", "q?"}, []string{"", "a", ""})
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		for _, v := range scores {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: score %v of an empty text", obj, v)
			}
		}
	}
}
