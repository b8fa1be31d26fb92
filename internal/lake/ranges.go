package lake

import "slices"

// Ranges is a sorted list of disjoint, non-adjacent, inclusive [first, last] sequence ranges.
type Ranges [][2]uint64

// Contains reports whether seq lies in one of the ranges, in O(log n).
func (r Ranges) Contains(seq uint64) bool {
	_, found := slices.BinarySearchFunc(r, seq, func(rg [2]uint64, seq uint64) int {
		switch {
		case rg[1] < seq:
			return -1
		case rg[0] > seq:
			return 1
		}
		return 0
	})
	return found
}

// Count is the number of sequences in the ranges.
func (r Ranges) Count() int {
	n := 0
	for _, rg := range r {
		n += int(rg[1]-rg[0]) + 1
	}
	return n
}

// Last is the highest sequence, 0 when empty.
func (r Ranges) Last() uint64 {
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1][1]
}

// push adds seq, which must be greater than every sequence already held.
func (r *Ranges) push(seq uint64) {
	if n := len(*r); n > 0 && (*r)[n-1][1]+1 == seq {
		(*r)[n-1][1] = seq
		return
	}
	*r = append(*r, [2]uint64{seq, seq})
}

// union adds all of other. Parts are usually committed in sequence order, so the common case
// is an append; anything else falls back to sort and merge.
func (r *Ranges) union(other Ranges) {
	if len(other) == 0 {
		return
	}
	if len(*r) == 0 || r.Last() < other[0][0] {
		for _, rg := range other {
			if n := len(*r); n > 0 && (*r)[n-1][1]+1 == rg[0] {
				(*r)[n-1][1] = rg[1]
			} else {
				*r = append(*r, rg)
			}
		}
		return
	}
	all := append(slices.Clone(*r), other...)
	slices.SortFunc(all, func(a, b [2]uint64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	merged := all[:1]
	for _, rg := range all[1:] {
		last := &merged[len(merged)-1]
		if rg[0] <= last[1]+1 {
			last[1] = max(last[1], rg[1])
		} else {
			merged = append(merged, rg)
		}
	}
	*r = merged
}

// valid reports whether the ranges are sorted, disjoint and non-adjacent.
func (r Ranges) valid() bool {
	for i, rg := range r {
		if rg[0] > rg[1] || (i > 0 && r[i-1][1]+1 >= rg[0]) {
			return false
		}
	}
	return true
}
