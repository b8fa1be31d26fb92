package schemas

// Arena is memory for decoding batches whose rows the caller is done with before the next
// Reset: the sink writes a batch to Parquet (which copies every value) and drops it; featurize
// pairs a bucket and publishes the pairs (encoded, so copied) before the next one. Decoded
// strings point into the arena, so the memory is reused instead of allocated, zeroed and
// collected again for every batch. Reset keeps the slabs the last cycle used, so an arena holds
// about the most one cycle decoded. An Arena is not safe for concurrent use.
type Arena struct {
	slabs [][]byte
	used  int // slabs[:used] hold this cycle's allocations
	off   int // bytes taken from slabs[used-1]
}

// arenaSlab is the size of the arena's ordinary slabs; a larger allocation gets a slab of its
// own size.
const arenaSlab = 4 << 20

// arenaAlign keeps every allocation on a 64-byte boundary, as arrow-go's allocators do.
const arenaAlign = 64

// Reset makes all of the arena's memory free again: whatever was decoded into it before must
// not be used after. Slabs the last cycle did not need are dropped.
func (a *Arena) Reset() {
	clear(a.slabs[a.used:])
	a.slabs = a.slabs[:a.used]
	a.used, a.off = 0, 0
}

// Allocate returns size bytes, zeroed, as Go's allocator would give them.
func (a *Arena) Allocate(size int) []byte {
	n := (size + arenaAlign - 1) &^ (arenaAlign - 1)
	if a.used == 0 || a.off+n > len(a.slabs[a.used-1]) {
		a.nextSlab(n)
	}
	b := a.slabs[a.used-1][a.off : a.off+size : a.off+n]
	a.off += n
	clear(b)
	return b
}

// nextSlab moves on to a slab with room for n bytes: the next one kept from the last cycle when
// it is large enough, else a new one put in its place.
func (a *Arena) nextSlab(n int) {
	if a.used < len(a.slabs) && len(a.slabs[a.used]) >= n {
		a.used++
		a.off = 0
		return
	}
	slab := make([]byte, max(n, arenaSlab))
	if a.used < len(a.slabs) {
		a.slabs = append(a.slabs[:a.used+1], a.slabs[a.used:]...)
		a.slabs[a.used] = slab
	} else {
		a.slabs = append(a.slabs, slab)
	}
	a.used++
	a.off = 0
}

// Reallocate grows b in place when it is the last allocation and its slab has room, else moves
// it.
func (a *Arena) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		grown := b[:size]
		if size > len(b) {
			clear(grown[len(b):])
		}
		return grown
	}
	if a.isLast(b) {
		start := a.off - cap(b)
		n := (size + arenaAlign - 1) &^ (arenaAlign - 1)
		if slab := a.slabs[a.used-1]; start+n <= len(slab) {
			a.off = start + n
			grown := slab[start : start+size : start+n]
			clear(grown[len(b):])
			return grown
		}
	}
	nb := a.Allocate(size)
	copy(nb, b)
	return nb
}

// isLast reports whether b is the arena's latest allocation.
func (a *Arena) isLast(b []byte) bool {
	if a.used == 0 || cap(b) == 0 || cap(b) > a.off {
		return false
	}
	slab := a.slabs[a.used-1]
	return &slab[a.off-cap(b)] == &b[:cap(b)][0]
}

// Free does nothing: the arena's memory comes back at Reset.
func (a *Arena) Free([]byte) {}
