package synth

import (
	"math"
	"math/rand/v2"
)

// rng adds the few distributions the generator needs to a PCG generator.
type rng struct{ *rand.Rand }

func newRNG(seed, stream uint64) *rng {
	return &rng{rand.New(rand.NewPCG(seed, stream))}
}

func (r *rng) chance(p float64) bool { return r.Float64() < p }

// poisson draws a Poisson variate: Knuth's product method for small means,
// a rounded normal approximation for large ones.
func (r *rng) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit := math.Exp(-mean)
	n := 0
	for p := r.Float64(); p > limit; p *= r.Float64() {
		n++
	}
	return n
}

// delay draws a log-normal duration in milliseconds with the given median,
// clamped to [1, limit].
func (r *rng) delay(median, sigma float64, limit int64) int64 {
	d := int64(median * math.Exp(sigma*r.NormFloat64()))
	return min(max(d, 1), limit)
}

func pick[T any](r *rng, xs []T) T { return xs[r.IntN(len(xs))] }

// splitmix is the SplitMix64 generator, used where a value must be a pure
// function of a key (QualityOf).
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit returns a uniform float64 in [0, 1).
func (s *splitmix) unit() float64 { return float64(s.next()>>11) / (1 << 53) }
