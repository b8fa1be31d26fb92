package trainer

import (
	"math/rand/v2"
	"testing"

	"github.com/prefstream/prefstream/trainer/nn"
)

func BenchmarkTinyStep(b *testing.B) {
	c, err := Preset("tiny", KindPM, 4096)
	if err != nil {
		b.Fatal(err)
	}
	m, _ := New(c, 1)
	const pairs = 16
	gr, err := newGraph(m, 2*pairs, c.Context, headReward)
	if err != nil {
		b.Fatal(err)
	}
	for i := range pairs {
		gr.prefs.Comparisons = append(gr.prefs.Comparisons, nn.Comparison{Better: i, Worse: pairs + i, Weight: 1})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := randomIDs(rng, 2*pairs*c.Context, c.Vocab)
	reads := make([]int, 2*pairs)
	for i := range reads {
		reads[i] = c.Context - 1
	}
	opt := NewAdamW(3e-4)
	grads := make([][]float32, len(m.Params.List))
	b.ResetTimer()
	for range b.N {
		if _, err := gr.run(ids, reads); err != nil {
			b.Fatal(err)
		}
		for i, p := range m.Params.List {
			grads[i], _ = gr.grad(p)
		}
		opt.Update(m.Params.List, grads)
	}
	b.ReportMetric(float64(b.N*pairs)/b.Elapsed().Seconds(), "pairs/s")
}
