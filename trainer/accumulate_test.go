package trainer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// gorgonia adds a run's gradients to those already bound; each step must see only its own.
func TestGradientsDoNotAccumulateAcrossRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pairs := plantedPairs(rng, 8)
	tok := trainTokenizer(t, pairs, 300)
	c := Config{Vocab: tok.Vocab(), Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: KindPM}
	m, _ := New(c, 5)
	st, _ := NewStepper(m, tok, Ranked, 4, 1e-3)
	st.fill(pairs[:4])
	var first [][]float32
	for run := 0; run < 3; run++ {
		if _, err := st.graph.run(st.ids, st.reads); err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Params.List {
			g, err := st.graph.grad(p)
			if err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first = append(first, slices.Clone(g))
			} else if !slices.Equal(first[i], g) {
				t.Fatalf("run %d: gradient of %s differs from the first run's", run, p.Name)
			}
		}
	}
}
