package stackexchange

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gen := map[string]func(i int) int64{
		"post ids":     func(int) int64 { return rng.Int64N(80_000_000) },
		"any int64":    func(int) int64 { return int64(rng.Uint64()) },
		"negatives":    func(int) int64 { return -rng.Int64N(1 << 40) },
		"extremes":     func(i int) int64 { return []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[i%5] },
		"all equal":    func(int) int64 { return 42 },
		"descending":   func(i int) int64 { return int64(-i) },
		"high digits":  func(int) int64 { return rng.Int64N(4) << 48 },
		"few distinct": func(int) int64 { return rng.Int64N(3) * 65536 },
	}
	var scratch []int64
	for name, next := range gen {
		for _, n := range []int{0, 1, 2, radixMinLen - 1, radixMinLen, radixMinLen + 1, 100_000} {
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = next(i)
			}
			want := slices.Clone(ids)
			slices.Sort(want)
			scratch = sortIDs(ids, scratch)
			if !slices.Equal(ids, want) {
				t.Fatalf("%s, %d ids: not sorted like slices.Sort", name, n)
			}
		}
	}
}

func BenchmarkSortIDs(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int64, DefaultUpvoteBufferIDs)
	for i := range ids {
		ids[i] = rng.Int64N(80_000_000)
	}
	work := make([]int64, len(ids))
	for _, bc := range []struct {
		name string
		sort func([]int64, []int64) []int64
	}{
		{"radix", sortIDs},
		{"slices.Sort", func(ids, scratch []int64) []int64 { slices.Sort(ids); return scratch }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var scratch []int64
			for b.Loop() {
				copy(work, ids)
				scratch = bc.sort(work, scratch)
			}
		})
	}
}
