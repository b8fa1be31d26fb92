package stackexchange

import (
	"cmp"
	"slices"
)

// capMatches keeps the o.MaxPairsPerThread matches whose ids rank lowest, in their original
// order.
func capMatches(matches []match, o Options) []match {
	if o.MaxPairsPerThread <= 0 || len(matches) <= o.MaxPairsPerThread {
		return matches
	}
	type ranked struct {
		rank  uint64
		index int
	}
	order := make([]ranked, len(matches))
	for i := range matches {
		order[i] = ranked{pairRank(o.Seed, matches[i].id), i}
	}
	slices.SortFunc(order, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(matches[a.index].id, matches[b.index].id))
	})
	keep := make([]bool, len(matches))
	for _, r := range order[:o.MaxPairsPerThread] {
		keep[r.index] = true
	}
	kept := matches[:0]
	for i := range matches {
		if keep[i] {
			kept = append(kept, matches[i])
		}
	}
	return kept
}

// pairRank is a seeded hash of a pair id: FNV-1a over the seed's bytes and the id, finished
// with SplitMix64 so that nearby seeds rank pairs independently.
func pairRank(seed uint64, id string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := range 8 {
		h = (h ^ (seed >> (8 * i) & 0xff)) * prime
	}
	for i := range len(id) {
		h = (h ^ uint64(id[i])) * prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}
