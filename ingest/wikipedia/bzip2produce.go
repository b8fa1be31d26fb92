package wikipedia

import (
	"bytes"
	"io"
	"sort"
)

// bz2Window holds the compressed input from the current block on.
type bz2Window struct {
	r     io.Reader
	store []byte
	win   []byte // store[k:], the input from byte base on
	base  int64
	eof   bool
	err   error // a read error other than io.EOF
}

// has reports whether the input holds the bytes before offset end, reading
// as needed.
func (w *bz2Window) has(end int64) bool {
	for w.base+int64(len(w.win)) < end {
		if !w.more() {
			return false
		}
	}
	return true
}

// more reads the next chunk; false at the end of the input or on error.
func (w *bz2Window) more() bool {
	if w.eof || w.err != nil {
		return false
	}
	if cap(w.store)-len(w.win) < bzReadChunk {
		w.store = make([]byte, 0, 2*len(w.win)+bzReadChunk)
	}
	w.store = append(w.store[:0], w.win...) // compact
	n, err := io.ReadAtLeast(w.r, w.store[len(w.store):cap(w.store)], 1)
	w.store = w.store[:len(w.store)+n]
	w.win = w.store
	switch {
	case err == io.EOF:
		w.eof = true
	case err != nil:
		w.err = err
	}
	return n > 0
}

// discard drops the input before offset.
func (w *bz2Window) discard(offset int64) {
	if drop := offset - w.base; drop > 0 {
		w.win = w.win[drop:]
		w.base = offset
	}
}

// bits reads n <= 56 bits at bit offset pos, which must be buffered.
func (w *bz2Window) bits(pos int64, n int) uint64 {
	return bitsAt(w.win, pos-w.base*8, n)
}

// produce splits the input into streams and their blocks.
func (d *bz2Reader) produce() {
	defer d.wg.Done()
	defer close(d.ordered)
	defer close(d.work)
	for pos := int64(0); ; {
		if !d.in.has(pos+1) && pos > 0 && d.in.err == nil {
			return // clean end after a stream
		}
		level, first, ok := d.streamHeader(pos)
		if !ok {
			d.emitSequential(pos)
			return
		}
		if first < 0 { // an empty stream
			pos += bzHeaderBytes + bzTrailerBits/8
			continue
		}
		if pos, ok = d.blocks(level, first); !ok {
			return
		}
	}
}

// streamHeader checks the stream header at byte pos and returns the level
// and the bit offset of the first block, or -1 for a valid empty stream.
// false means anything unexpected, left to compress/bzip2.
func (d *bz2Reader) streamHeader(pos int64) (level byte, first int64, ok bool) {
	const need = bzHeaderBytes + bzTrailerBits/8
	if !d.in.has(pos + need) {
		return 0, 0, false
	}
	hdr := d.in.win[pos-d.in.base:]
	if !bytes.HasPrefix(hdr, []byte("BZh")) || hdr[3] < '1' || hdr[3] > '9' {
		return 0, 0, false
	}
	first = (pos + bzHeaderBytes) * 8
	switch d.in.bits(first, bzMagicBits) {
	case bzBlockMagic:
		return hdr[3], first, true
	case bzEOSMagic:
		return hdr[3], -1, d.in.bits(first+bzMagicBits, bzCRCBits) == 0
	}
	return 0, 0, false
}

// blocks emits the blocks of a stream from bit start and returns the byte
// offset after the stream; false once it has emitted a terminal job.
func (d *bz2Reader) blocks(level byte, start int64) (int64, bool) {
	for {
		end, eos, found := d.boundary(start)
		if !found && d.in.err != nil {
			d.emit(&bz2Job{start: end / 8, fatal: d.in.err})
			return 0, false
		}
		if !found && !d.in.eof {
			d.emit(&bz2Job{start: start / 8, fatal: errBzip2NoBoundary})
			return 0, false
		}
		job := d.wrap(level, start, end)
		if !found {
			job.truncated = true
			d.emit(job)
			return 0, false
		}
		if eos {
			job.endsStream = true
			job.streamCRC = uint32(d.in.bits(end+bzMagicBits, bzCRCBits))
		}
		if !d.emit(job) {
			return 0, false
		}
		d.in.discard(end / 8)
		if eos {
			return ceilBytes(end + bzTrailerBits), true
		}
		start = end
	}
}

// boundary finds the bit offset where the block starting at bit start
// ends: the next block magic or a plausible end-of-stream magic. found is
// false when the input ends first, fails, or holds no magic in far more
// than a block's length; end is then where the search stopped.
func (d *bz2Reader) boundary(start int64) (end int64, eos, found bool) {
	from := start + 1 // not start+48: a false magic at start may overlap the real one
	for {
		if (from-start)/8 > maxMergedBlockBytes {
			return from, false, false
		}
		rel := from - d.in.base*8
		at, isEOS, ok := findMagic(d.in.win, rel, d.in.eof)
		at += d.in.base * 8
		if cut, has := d.extraCut(from, at, ok); has {
			return cut, false, true
		}
		switch {
		case ok && (!isEOS || d.plausibleEnd(at)):
			return at, isEOS, true
		case ok:
			from = at + 1
		case !d.in.more():
			return d.in.base*8 + int64(len(d.in.win))*8, false, false
		default:
			from = at
		}
	}
}

// plausibleEnd tells a real end-of-stream magic at bit at from one found
// inside block data: the stream must be followed by the end of the input
// or by another stream header.
func (d *bz2Reader) plausibleEnd(at int64) bool {
	next := ceilBytes(at + bzTrailerBits)
	d.in.has(next + bzHeaderBytes)
	avail := d.in.base + int64(len(d.in.win))
	if avail == next && d.in.eof {
		return true
	}
	if avail < next+bzHeaderBytes {
		return false
	}
	hdr := d.in.win[next-d.in.base:]
	return bytes.HasPrefix(hdr, []byte("BZh")) && hdr[3] >= '1' && hdr[3] <= '9'
}

// extraCut returns the test hook's first cut in [from, at) (or from on when
// no magic was found).
func (d *bz2Reader) extraCut(from, at int64, found bool) (int64, bool) {
	i := sort.Search(len(d.extraCuts), func(i int) bool { return d.extraCuts[i] >= from })
	if i == len(d.extraCuts) {
		return 0, false
	}
	cut := d.extraCuts[i]
	if (found && cut < at) || (!found && cut < d.in.base*8+int64(len(d.in.win))*8-bzMagicBits) {
		return cut, true
	}
	return 0, false
}

// wrap makes the block between bits start and end a one-block stream.
func (d *bz2Reader) wrap(level byte, start, end int64) *bz2Job {
	job := &bz2Job{
		level:     level,
		start:     start / 8,
		end:       ceilBytes(end),
		blockBits: end - start,
		blockCRC:  uint32(d.in.bits(start+bzMagicBits, bzCRCBits)),
		done:      make(chan struct{}),
	}
	w := bitWriter{buf: make([]byte, 0, (end-start)/8+32)}
	w.buf = append(w.buf, 'B', 'Z', 'h', level)
	w.copyBits(d.in.win, start-d.in.base*8, end-start)
	job.stream = appendTrailer(&w, job.blockCRC)
	return job
}

// emit queues a job for the collector and, unless terminal, the workers.
func (d *bz2Reader) emit(job *bz2Job) bool {
	terminal := job.truncated || job.fatal != nil || job.sequential != nil
	if terminal {
		job.done = make(chan struct{})
		close(job.done)
	}
	select {
	case d.ordered <- job:
	case <-d.quit:
		return false
	}
	if terminal {
		return true
	}
	select {
	case d.work <- job:
		return true
	case <-d.quit:
		return false
	}
}

// emitSequential hands the input from byte pos on to compress/bzip2.
func (d *bz2Reader) emitSequential(pos int64) {
	rest := d.in.win[min(max(pos-d.in.base, 0), int64(len(d.in.win))):]
	d.emit(&bz2Job{start: pos, sequential: io.MultiReader(bytes.NewReader(rest), d.in.r)})
}

func ceilBytes(bits int64) int64 { return (bits + 7) / 8 }
