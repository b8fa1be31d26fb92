package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prefstream/prefstream/trainer/nn"
)

func testConfig(kind string) Config {
	return Config{Preset: "test", Vocab: 300, Context: 8, DModel: 16, Layers: 2, Heads: 2, DFF: 32, Kind: kind}
}

func randomIDs(rng *rand.Rand, n, vocab int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = rng.IntN(vocab)
	}
	return ids
}

// checkGradients compares the graph's gradient of every parameter with central differences
// along coordinates where the gradient is largest.
func checkGradients(t *testing.T, m *Model, gr *graph, ids, reads []int) {
	t.Helper()
	if _, err := gr.run(ids, reads); err != nil {
		t.Fatal(err)
	}
	type probe struct {
		p    *Param
		i    int
		want float64
	}
	var probes []probe
	for _, p := range m.Params.List {
		g, err := gr.grad(p)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			continue
		}
		best := 0
		for i := range g {
			if math.Abs(float64(g[i])) > math.Abs(float64(g[best])) {
				best = i
			}
		}
		probes = append(probes, probe{p, best, float64(g[best])})
	}
	const eps = 1e-2
	checked := 0
	for _, pr := range probes {
		old := pr.p.Data[pr.i]
		pr.p.Data[pr.i] = old + eps
		up, err := gr.run(ids, reads)
		if err != nil {
			t.Fatal(err)
		}
		pr.p.Data[pr.i] = old - eps
		down, err := gr.run(ids, reads)
		if err != nil {
			t.Fatal(err)
		}
		pr.p.Data[pr.i] = old
		numeric := (up - down) / (2 * eps)
		if math.Abs(pr.want) < 1e-4 && math.Abs(numeric) < 1e-4 {
			continue
		}
		checked++
		if diff := math.Abs(numeric - pr.want); diff > 0.03*math.Abs(pr.want)+2e-4 {
			t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", pr.p.Name, pr.i, pr.want, numeric)
		}
	}
	if checked < len(probes)/2 {
		t.Fatalf("only %d of %d parameters had a measurable gradient", checked, len(probes))
	}
}

func TestGradientsRewardLosses(t *testing.T) {
	cases := []struct {
		name    string
		targets nn.PreferenceTargets
	}{
		{"ranked", nn.PreferenceTargets{Comparisons: []nn.Comparison{{Better: 0, Worse: 1, Weight: 1}, {Better: 2, Worse: 3, Weight: 1}}}},
		{"contrast", nn.PreferenceTargets{Comparisons: []nn.Comparison{{Better: 0, Worse: 2, Weight: 1, Contrast: true}}}},
		{"binarized", nn.PreferenceTargets{Comparisons: []nn.Comparison{{Better: 0, Worse: 1, Weight: 1}, {Better: 3, Worse: 2, Weight: 1}}}},
		{"discrimination", nn.PreferenceTargets{Judgements: []nn.Judgement{{Index: 0, Good: true, Weight: 1}, {Index: 1, Good: false, Weight: 1}, {Index: 2, Good: true, Weight: 1}, {Index: 3, Good: false, Weight: 1}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(KindPM)
			m, err := New(c, 1)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights than the initialisation so every path carries gradient.
			rng := rand.New(rand.NewPCG(2, 3))
			for _, p := range m.Params.List {
				for i := range p.Data {
					p.Data[i] += float32(rng.NormFloat64() * 0.3)
				}
			}
			gr, err := newGraph(m, 4, c.Context, headReward)
			if err != nil {
				t.Fatal(err)
			}
			*gr.prefs = tc.targets
			checkGradients(t, m, gr, randomIDs(rng, 4*c.Context, c.Vocab), []int{7, 5, 6, 3})
		})
	}
}

func TestGradientsImitation(t *testing.T) {
	c := testConfig(KindPolicy)
	m, err := New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, p := range m.Params.List {
		for i := range p.Data {
			p.Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
	gr, err := newGraph(m, 2, c.Context, headLM)
	if err != nil {
		t.Fatal(err)
	}
	ids := randomIDs(rng, 2*c.Context, c.Vocab)
	next := make([]int32, len(ids))
	for i := range next {
		next[i] = -1
		if i%c.Context >= 2 && i%c.Context < c.Context-1 {
			next[i] = int32(ids[i+1])
		}
	}
	gr.tokens.Next = next
	checkGradients(t, m, gr, ids, nil)
}

// The graph used for training and the plain forward used for scoring must agree.
func TestGraphMatchesInference(t *testing.T) {
	c := testConfig(KindPM)
	m, _ := New(c, 7)
	rng := rand.New(rand.NewPCG(8, 9))
	gr, err := newGraph(m, 3, c.Context, headReward)
	if err != nil {
		t.Fatal(err)
	}
	gr.prefs.Comparisons = []nn.Comparison{{Better: 0, Worse: 1, Weight: 1}}
	ids := randomIDs(rng, 3*c.Context, c.Vocab)
	reads := []int{7, 2, 5}
	if _, err := gr.run(ids, reads); err != nil {
		t.Fatal(err)
	}
	want := gr.lastRewards()
	var seqs [][]int32
	for i, r := range reads {
		s := make([]int32, r+1)
		for j := range s {
			s[j] = int32(ids[i*c.Context+j])
		}
		seqs = append(seqs, s)
	}
	got, err := m.Rewards(seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-4 {
			t.Errorf("sequence %d: inference %v, graph %v", i, got[i], want[i])
		}
	}
}

func TestGradientsPPO(t *testing.T) {
	c := testConfig(KindPolicy)
	m, _ := New(c, 1)
	rng := rand.New(rand.NewPCG(6, 7))
	for _, p := range m.Params.List {
		for i := range p.Data {
			p.Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
	gr, err := newGraph(m, 2, c.Context, headPPO)
	if err != nil {
		t.Fatal(err)
	}
	ids := randomIDs(rng, 2*c.Context, c.Vocab)
	n := len(ids)
	pt := gr.policy
	pt.Token, pt.ProxLogProb, pt.Advantage, pt.Weight = make([]int32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	pt.Clip, pt.Temperature = 0.2, 0.8
	vt := gr.value
	vt.Use, vt.Return, vt.OldValue = make([]bool, n), make([]float32, n), make([]float32, n)
	vt.Clip, vt.Coef = 0.2, 0.5
	for r := range n {
		pt.Token[r] = -1
		if r%c.Context >= 3 && r%c.Context < c.Context-1 {
			pt.Token[r] = int32(ids[r+1])
			// Old log-probabilities near the current ones keep most ratios inside the clip range.
			pt.ProxLogProb[r] = float32(-math.Log(float64(c.Vocab)) + rng.NormFloat64()*0.05)
			pt.Advantage[r] = float32(rng.NormFloat64())
			pt.Weight[r] = 1
			vt.Use[r] = true
			vt.Return[r] = float32(rng.NormFloat64())
			vt.OldValue[r] = float32(rng.NormFloat64() * 0.01)
		}
	}
	checkGradients(t, m, gr, ids, nil)
}
