package wikipedia

import (
	"encoding/binary"
	"sort"
)

// The inverse Burrows-Wheeler transform follows a cycle through the rows
// of the sorted rotations, one random access into a 3.6 MB vector per
// byte: a walk bound by memory latency. To overlap those accesses it
// marks rows spread over the vector as segment starts, cutting the cycle
// into segments, and walks several segments at once in lanes, each
// writing its bytes to slots of an arena. A segment ends where it runs
// into the next marked row. Chaining the segments from origPtr's then
// gives the block.
const (
	bwtIndexBits    = 20 // row numbers: a block has at most 900000 < 1<<20 bytes
	bwtIndexMask    = 1<<bwtIndexBits - 1
	bwtMark         = 1 << 31 // set on the vector entry of a segment's first row
	bwtLanes        = 16      // segments walked at once
	bwtSegmentBytes = 512     // the average segment length aimed at
	bwtMaxSegments  = 1024
	bwtSlotBits     = 10
	bwtSlotSize     = 1 << bwtSlotBits
	// The arena holds every segment's slots: at most a block's bytes in
	// full slots plus one partial slot per segment.
	bwtArenaBits = 21
	bwtArenaSize = 1 << bwtArenaBits
	bwtSlots     = bwtArenaSize / bwtSlotSize
)

// The arena must hold the slots of a largest block cut into the most
// segments.
var _ [bwtSlots - (bzMaxBlockBytes/bwtSlotSize + 2 + bwtMaxSegments)]struct{}

// bwtWalker inverts the transform. Its vector entry for row j holds the
// row that follows j in the text (bits 8 and up) and row j's first byte.
type bwtWalker struct {
	vector   *[1 << bwtIndexBits]uint32
	arena    *[bwtArenaSize]byte
	segments []bwtSegment // by start row
	slots    [bwtSlots]bwtSlot
	used     int // slots handed out
	next     int // the next segment to walk
	lanes    [bwtLanes]bwtLane
}

// bwtSegment is a stretch of the text from a marked row to the next.
type bwtSegment struct {
	start uint32 // its first row
	next  int32  // the segment that follows it in the text
	first int32  // its first slot, or -1 before it is walked
}

// bwtSlot is a piece of the arena that holds the bytes of one segment.
type bwtSlot struct {
	next int32 // the segment's next slot, or -1
	len  int32
}

// bwtLane walks one segment.
type bwtLane struct {
	row  uint32 // the next row to visit
	w    uint32 // the arena index of its next byte
	wEnd uint32 // the end of its slot
	seg  int32
	slot int32
}

func (w *bwtWalker) allocate() {
	if w.vector == nil {
		w.vector = new([1 << bwtIndexBits]uint32)
		w.arena = new([bwtArenaSize]byte)
		w.segments = make([]bwtSegment, 0, bwtMaxSegments+1)
	}
}

// invert replaces the transform's last column last[:n], whose byte counts
// are counts, by the text, starting from row origPtr < n.
func (w *bwtWalker) invert(last []byte, n int, origPtr uint32, counts *[256]uint32) error {
	w.build(last[:n], counts)
	w.mark(n, origPtr)
	w.walk()
	return w.assemble(last[:n], origPtr)
}

// build makes the vector. The occurrences of each byte value take the
// rows where that value comes first in the order they come last, so the
// k-th occurrence in the last column, at row i, is followed in the text
// by the row that has it first. Each byte's row comes from the one before
// of the same value, a dependency that makes the runs of a value, common
// in a transform, slow: 8 equal bytes at a time take 8 rows at once.
func (w *bwtWalker) build(last []byte, counts *[256]uint32) {
	var next [256]uint32
	sum := uint32(0)
	for b, c := range counts {
		next[b] = sum
		sum += c
	}
	v := w.vector
	i := 0
	for ; i+8 <= len(last); i++ {
		b := last[i]
		if binary.LittleEndian.Uint64(last[i:]) != uint64(b)*0x0101_0101_0101_0101 {
			j := next[b]
			next[b] = j + 1
			v[j&bwtIndexMask] = uint32(i)<<8 | uint32(b)
			continue
		}
		j := next[b]
		next[b] = j + 8
		e := uint32(i)<<8 | uint32(b)
		rows := v[j&bwtIndexMask:][:8]
		for k := range rows {
			rows[k] = e + uint32(k)<<8
		}
		i += 7
	}
	for ; i < len(last); i++ {
		b := last[i]
		j := next[b]
		next[b] = j + 1
		v[j&bwtIndexMask] = uint32(i)<<8 | uint32(b)
	}
}

// mark chooses the segments' first rows, evenly spread, and origPtr, and
// marks them.
func (w *bwtWalker) mark(n int, origPtr uint32) {
	m := min(max(n/bwtSegmentBytes, 1), bwtMaxSegments)
	segs := w.segments[:0]
	for i := range m {
		segs = append(segs, bwtSegment{start: uint32(i * n / m), first: -1})
	}
	at := sort.Search(len(segs), func(i int) bool { return segs[i].start >= origPtr })
	if at == len(segs) || segs[at].start != origPtr {
		segs = append(segs, bwtSegment{})
		copy(segs[at+1:], segs[at:])
		segs[at] = bwtSegment{start: origPtr, first: -1}
	}
	w.segments = segs
	for _, s := range segs {
		w.vector[s.start&bwtIndexMask] |= bwtMark
	}
}

// walk walks all segments, bwtLanes at a time.
func (w *bwtWalker) walk() {
	w.used, w.next = 0, 0
	active := 0
	for active < len(w.lanes) && w.claimNext(&w.lanes[active]) {
		active++
	}
	v, arena, lanes := w.vector, w.arena, &w.lanes
	for active > 0 {
		for l := 0; l < active; l++ {
			ln := &lanes[l]
			e := v[ln.row&bwtIndexMask]
			if e >= bwtMark || ln.w == ln.wEnd {
				if !w.event(ln, e) {
					active--
					lanes[l] = lanes[active]
					l--
				}
				continue
			}
			arena[ln.w&(bwtArenaSize-1)] = byte(e)
			ln.w++
			ln.row = e >> 8 & bwtIndexMask
		}
	}
}

// event handles a lane that has run into a marked row or filled its slot.
// It returns false when the lane has no more segments to walk.
func (w *bwtWalker) event(ln *bwtLane, e uint32) bool {
	if e >= bwtMark {
		next := w.segmentAt(ln.row)
		w.segments[ln.seg].next = int32(next)
		w.slots[ln.slot].len = int32(ln.w - uint32(ln.slot)*bwtSlotSize)
		if w.segments[next].first < 0 {
			return w.claim(ln, next) // go on in text order
		}
		return w.claimNext(ln)
	}
	slot := w.newSlot()
	w.slots[ln.slot].next = slot
	w.slots[ln.slot].len = bwtSlotSize
	ln.slot = slot
	ln.w = uint32(slot) * bwtSlotSize
	ln.wEnd = ln.w + bwtSlotSize
	return true
}

// claimNext starts the lane on the first segment not yet walked; false
// when there is none.
func (w *bwtWalker) claimNext(ln *bwtLane) bool {
	for ; w.next < len(w.segments); w.next++ {
		if w.segments[w.next].first < 0 {
			return w.claim(ln, w.next)
		}
	}
	return false
}

// claim starts the lane on segment i: it writes the first row's byte.
func (w *bwtWalker) claim(ln *bwtLane, i int) bool {
	seg := &w.segments[i]
	slot := w.newSlot()
	seg.first = slot
	e := w.vector[seg.start&bwtIndexMask]
	*ln = bwtLane{
		row:  e >> 8 & bwtIndexMask,
		w:    uint32(slot)*bwtSlotSize + 1,
		wEnd: uint32(slot+1) * bwtSlotSize,
		seg:  int32(i),
		slot: slot,
	}
	w.arena[uint32(slot)*bwtSlotSize] = byte(e)
	return true
}

func (w *bwtWalker) newSlot() int32 {
	s := int32(w.used)
	w.slots[s] = bwtSlot{next: -1}
	w.used++
	return s
}

// assemble writes the segments into text, in order from origPtr's. When
// they come back to origPtr's before the end of the text, the text is
// periodic (or corrupt): the bytes so far repeat.
func (w *bwtWalker) assemble(text []byte, origPtr uint32) error {
	first := w.segmentAt(origPtr)
	seg := first
	n := 0
	for {
		for s := w.segments[seg].first; s >= 0; s = w.slots[s].next {
			from := int(s) * bwtSlotSize
			piece := w.arena[from : from+int(w.slots[s].len)]
			if n+len(piece) > len(text) { // cannot be: a cycle has at most all rows
				return errBzip2WalkOverflow
			}
			n += copy(text[n:], piece)
		}
		seg = int(w.segments[seg].next)
		if seg == first {
			break
		}
	}
	for n < len(text) {
		n += copy(text[n:], text[:n])
	}
	return nil
}

// segmentAt returns the index of the segment that starts at row.
func (w *bwtWalker) segmentAt(row uint32) int {
	return sort.Search(len(w.segments), func(i int) bool { return w.segments[i].start >= row })
}
