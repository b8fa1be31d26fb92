package trainer

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/prefstream/prefstream/trainer/nn"
)

// Throughput is a training speed measurement.
type Throughput struct {
	Preset     string
	Batch      int
	Steps      int
	Seconds    float64
	PairsPerS  float64
	TokensPerS float64
	BLAS       string
}

// BenchPM times ranked-preference training steps of a preset on random full-context token
// pairs, as shared/bench/pm_reference.py does: batch pairs per step (2*batch sequences of the
// whole context), a few warm-up steps, then steps timed.
func BenchPM(preset string, batch, steps, warmup int) (Throughput, error) {
	c, err := Preset(preset, KindPM, 4096)
	if err != nil {
		return Throughput{}, err
	}
	m, err := New(c, 0)
	if err != nil {
		return Throughput{}, err
	}
	gr, err := newGraph(m, 2*batch, c.Context, headReward)
	if err != nil {
		return Throughput{}, err
	}
	for i := range batch {
		gr.prefs.Comparisons = append(gr.prefs.Comparisons, nn.Comparison{Better: i, Worse: batch + i, Weight: 1})
	}
	rng := rand.New(rand.NewPCG(0, 1))
	ids := make([]int, 2*batch*c.Context)
	for i := range ids {
		ids[i] = rng.IntN(c.Vocab)
	}
	reads := make([]int, 2*batch)
	for i := range reads {
		reads[i] = c.Context - 1
	}
	opt := NewAdamW(3e-4)
	grads := make([][]float32, len(m.Params.List))
	step := func() error {
		if _, err := gr.run(ids, reads); err != nil {
			return err
		}
		for i, p := range m.Params.List {
			if grads[i], err = gr.grad(p); err != nil {
				return err
			}
		}
		opt.Update(m.Params.List, grads)
		return nil
	}
	for range warmup {
		if err := step(); err != nil {
			return Throughput{}, err
		}
	}
	start := time.Now()
	for range steps {
		if err := step(); err != nil {
			return Throughput{}, err
		}
	}
	secs := time.Since(start).Seconds()
	if secs <= 0 {
		return Throughput{}, fmt.Errorf("trainer: bench took no time")
	}
	pairs := float64(steps * batch)
	return Throughput{Preset: preset, Batch: batch, Steps: steps, Seconds: secs, PairsPerS: pairs / secs,
		TokensPerS: 2 * pairs * float64(c.Context) / secs, BLAS: nn.BLAS}, nil
}
