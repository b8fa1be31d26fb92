package trainer

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// The KV-cache path and a full forward pass must give the same log-probabilities.
func TestGenerateMatchesFullForward(t *testing.T) {
	c := Config{Vocab: 300, Context: 32, DModel: 32, Layers: 2, Heads: 4, DFF: 64, Kind: KindPolicy}
	m, _ := New(c, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range m.Params.List {
		for i := range p.Data {
			p.Data[i] += float32(rng.NormFloat64() * 0.2)
		}
	}
	prompts := [][]int32{{5, 6, 7}, {9}, {10, 11, 12, 13, 14, 15, 16}}
	for _, s := range []Sampling{{Temperature: 1, TopP: 1, MaxNew: 12}, {Temperature: 0.7, TopP: 0.9, MaxNew: 20}} {
		gens, err := m.Generate(prompts, s, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatal(err)
		}
		var seqs [][]int32
		var starts []int
		for _, g := range gens {
			if len(g.Tokens) == 0 || len(g.Tokens) != len(g.LogProbs) {
				t.Fatalf("generation %+v", g)
			}
			seqs = append(seqs, append(append([]int32{}, g.Prompt...), g.Tokens...))
			starts = append(starts, len(g.Prompt))
		}
		want, err := m.TokenLogProbs(seqs, starts, s.Temperature)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range gens {
			for j := range g.Tokens {
				if math.Abs(float64(g.LogProbs[j]-want[i][j])) > 1e-4 {
					t.Fatalf("temperature %v: sequence %d token %d: cached %v, full %v", s.Temperature, i, j, g.LogProbs[j], want[i][j])
				}
				if g.LogProbs[j] > 0 {
					t.Fatalf("positive log-probability %v", g.LogProbs[j])
				}
			}
		}
	}
}

func BenchmarkGenerateTiny(b *testing.B) {
	c, _ := Preset("tiny", KindPolicy, 4096)
	m, _ := New(c, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	prompts := make([][]int32, 8)
	for i := range prompts {
		for range 64 {
			prompts[i] = append(prompts[i], int32(rng.IntN(3800)+260))
		}
	}
	b.ResetTimer()
	tokens := 0
	for range b.N {
		gens, err := m.Generate(prompts, Sampling{Temperature: 1, TopP: 1, MaxNew: 64}, rng)
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range gens {
			tokens += len(g.Tokens)
		}
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}

// Samples depend on the generator's state alone: the same on one CPU as spread over several,
// and a sequence's response does not depend on the other prompts of its batch.
func TestGenerateIndependentOfCPUs(t *testing.T) {
	// A width whose packed q, k, v rows (288 columns) are split by columns over the CPUs
	// while prefilling a few rows, and a vocabulary that is not a multiple of the kernels'.
	c := Config{Vocab: 300, Context: 32, DModel: 96, Layers: 2, Heads: 4, DFF: 128, Kind: KindPolicy}
	m, _ := New(c, 5)
	prompts := [][]int32{{5, 6, 7}, {9}, {10, 11, 12, 13}, {20, 21}, {30}}
	s := Sampling{Temperature: 1.3, TopP: 1, MaxNew: 16}
	generate := func(procs int, prompts [][]int32) []Generation {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		gens, err := m.Generate(prompts, s, rand.New(rand.NewPCG(8, 9)))
		if err != nil {
			t.Fatal(err)
		}
		return gens
	}
	// One sequence: its group's kernels share every CPU.
	alone := generate(1, prompts[:1])
	for _, procs := range []int{2, 5, 7} {
		if g := generate(procs, prompts[:1])[0]; !slices.Equal(g.Tokens, alone[0].Tokens) || !slices.Equal(g.LogProbs, alone[0].LogProbs) {
			t.Fatalf("one sequence on %d CPUs: %v %v, on one CPU %v %v", procs, g.Tokens, g.LogProbs, alone[0].Tokens, alone[0].LogProbs)
		}
	}
	one := generate(1, prompts)
	firstTwo, err := m.Generate(prompts[:2], s, rand.New(rand.NewPCG(8, 9)))
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range firstTwo {
		if !slices.Equal(g.Tokens, one[i].Tokens) || !slices.Equal(g.LogProbs, one[i].LogProbs) {
			t.Fatalf("sequence %d alone with the first: %v, in the whole batch %v", i, g.Tokens, one[i].Tokens)
		}
	}
	for _, procs := range []int{2, 3, 5, 7} {
		for i, g := range generate(procs, prompts) {
			if !slices.Equal(g.Tokens, one[i].Tokens) || !slices.Equal(g.LogProbs, one[i].LogProbs) {
				t.Fatalf("%d CPUs: sequence %d: %v %v, on one CPU %v %v", procs, i, g.Tokens, g.LogProbs, one[i].Tokens, one[i].LogProbs)
			}
		}
	}
}

// drawFrom never draws a token of negligible probability because of rounding at the top of
// the range, and draws each token in proportion to its probability.
func TestDrawFrom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	probs := make([]float32, 128)
	for i := range 100 {
		probs[i] = rng.Float32()
	}
	for i := 100; i < len(probs); i++ {
		probs[i] = 1e-38
	}
	for _, r := range []float64{math.Nextafter(1, 0), 1 - 1e-12, 0.999999} {
		if i := drawFrom(probs, r); i >= 100 {
			t.Fatalf("r=%v drew token %d of probability %v", r, i, probs[i])
		}
	}
	if i := drawFrom(probs, 0); i != 0 {
		t.Fatalf("r=0 drew token %d, want the first", i)
	}
	var total float64
	for _, p := range probs {
		total += float64(p)
	}
	counts := make([]int, len(probs))
	const n = 200000
	for range n {
		counts[drawFrom(probs, rng.Float64())]++
	}
	for i := range 100 {
		want := n * float64(probs[i]) / total
		if d := math.Abs(float64(counts[i]) - want); d > 5*math.Sqrt(want)+1 {
			t.Fatalf("token %d drawn %d times in %d, expected %.0f", i, counts[i], n, want)
		}
	}
}
