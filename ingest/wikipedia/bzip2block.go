package wikipedia

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// A bzip2 block, after its magic and CRC: the randomised flag, origPtr (the
// row of the sorted rotations that is the block itself), the map of the
// byte values used, the Huffman codes and the selectors that pick one per
// 50 symbols, then the symbols. They give the last column of the
// Burrows-Wheeler transform, move-to-front coded with runs of the front
// byte written as bijective base-2 numbers of RUNA and RUNB symbols. The
// inverse transform gives the block before its initial run-length coding
// (4 equal bytes, then a count of more).
const (
	bzMaxGroups     = 6
	bzMinGroups     = 2
	bzGroupSymbols  = 50
	bzMaxSelectors  = 18002 // a 900k block has at most 900001 symbols
	bzMaxBlockBytes = 900000
	bzRunA          = 0
	bzRunB          = 1
)

var (
	errBzip2Header       = errors.New("bzip2 data invalid: bad stream header")
	errBzip2Magic        = errors.New("bzip2 data invalid: bad block magic")
	errBzip2NotOne       = errors.New("bzip2 data invalid: more than one block or stream")
	errBzip2Randomised   = errors.New("bzip2 data invalid: deprecated randomised block")
	errBzip2NoSymbols    = errors.New("bzip2 data invalid: no symbols in block")
	errBzip2Groups       = errors.New("bzip2 data invalid: number of Huffman codes out of range")
	errBzip2Selectors    = errors.New("bzip2 data invalid: bad selectors")
	errBzip2CodeLength   = errors.New("bzip2 data invalid: Huffman code length out of range")
	errBzip2Overflow     = errors.New("bzip2 data invalid: block larger than its level allows")
	errBzip2OrigPtr      = errors.New("bzip2 data invalid: origPtr out of range")
	errBzip2WalkOverflow = errors.New("bzip2: internal error: the inverse transform overflows its block")
	errBzip2Past         = errors.New("bzip2 data invalid: block runs past the end of the stream")
	errBzip2BlockCRC     = errors.New("bzip2 data invalid: block checksum mismatch")
	errBzip2CRC          = errors.New("bzip2 data invalid: stream checksum mismatch")
)

// blockDecoder decodes one-block bzip2 streams. Its tables are allocated on
// first use and reused for every block; it is not safe for concurrent use.
type blockDecoder struct {
	blockSize int    // 100k times the stream's level
	last      []byte // the BWT's last column, then the block before RLE1
	counts    [256]uint32
	mtf       [256]byte
	selectors []uint8
	lengths   [bzMaxAlphabet]uint8
	huff      [bzMaxGroups]bzHuffman
	builder   bzHuffmanBuilder
	bwt       bwtWalker
}

// decodeStream decodes a stream of at most one block, appends its output
// to dst and verifies the block's and the stream's CRCs. On error it
// returns dst as it was.
func (d *blockDecoder) decodeStream(stream, dst []byte) ([]byte, error) {
	if len(stream) < bzHeaderBytes || string(stream[:3]) != "BZh" || stream[3] < '1' || stream[3] > '9' {
		return dst, errBzip2Header
	}
	d.blockSize = int(stream[3]-'0') * 100000
	r := bzBitReader{src: stream, pos: bzHeaderBytes}
	var combined uint32
	out := dst
	magic := r.magic()
	if magic == bzBlockMagic {
		blockCRC, got, err := d.decodeBlock(&r, dst)
		if err != nil {
			return dst, err
		}
		out, combined = got, bzCombineCRC(0, blockCRC)
		magic = r.magic()
	}
	switch {
	case magic == bzBlockMagic:
		return dst, errBzip2NotOne
	case magic != bzEOSMagic:
		return dst, errBzip2Magic
	}
	stored := r.bits(bzCRCBits)
	switch {
	case r.past():
		return dst, errBzip2Past
	case stored != combined:
		return dst, errBzip2CRC
	case r.bytesUsed() != len(stream):
		return dst, errBzip2NotOne
	}
	return out, nil
}

// decodeBlock decodes the block after its magic, appends its output to dst
// and returns its stored CRC, which it has checked.
func (d *blockDecoder) decodeBlock(r *bzBitReader, dst []byte) (uint32, []byte, error) {
	wantCRC := r.bits(bzCRCBits)
	if r.bits(1) != 0 {
		return 0, dst, errBzip2Randomised
	}
	origPtr := r.bits(24)
	alphabet, err := d.readSymbolMap(r)
	if err != nil {
		return 0, dst, err
	}
	groups, selectors, err := d.readSelectors(r)
	if err != nil {
		return 0, dst, err
	}
	if err := d.readCodes(r, groups, alphabet); err != nil {
		return 0, dst, err
	}
	d.allocate()
	n, err := d.decodeSymbols(r, selectors, alphabet)
	if err != nil {
		return 0, dst, err
	}
	if int(origPtr) >= n {
		return 0, dst, errBzip2OrigPtr
	}
	if err := d.bwt.invert(d.last, n, origPtr, &d.counts); err != nil {
		return 0, dst, err
	}
	out := unRLE1(dst, d.last[:n])
	if bzCRCUpdate(0, out[len(dst):]) != wantCRC {
		return 0, dst, errBzip2BlockCRC
	}
	return wantCRC, out, nil
}

// allocate makes the tables a block of the stream's level needs.
func (d *blockDecoder) allocate() {
	if len(d.last) < d.blockSize+8 {
		d.last = make([]byte, d.blockSize+8) // room for 8-byte stores
	}
	d.bwt.allocate()
}

// readSymbolMap reads which byte values the block uses into the
// move-to-front list and returns the size of the symbol alphabet.
func (d *blockDecoder) readSymbolMap(r *bzBitReader) (int, error) {
	ranges := r.bits(16)
	used := 0
	for hi := range 16 {
		if ranges&(0x8000>>hi) == 0 {
			continue
		}
		lows := r.bits(16)
		for lo := range 16 {
			if lows&(0x8000>>lo) != 0 {
				d.mtf[used] = byte(hi<<4 | lo)
				used++
			}
		}
	}
	if used == 0 {
		return 0, errBzip2NoSymbols
	}
	return used + 2, nil
}

// readSelectors reads the number of Huffman codes and, move-to-front coded
// in unary, which code each group of 50 symbols uses. It keeps at most
// bzMaxSelectors of them: a block never has more groups.
func (d *blockDecoder) readSelectors(r *bzBitReader) (groups, selectors int, err error) {
	groups = int(r.bits(3))
	if groups < bzMinGroups || groups > bzMaxGroups {
		return 0, 0, errBzip2Groups
	}
	selectors = int(r.bits(15))
	if selectors == 0 {
		return 0, 0, errBzip2Selectors
	}
	if d.selectors == nil {
		d.selectors = make([]uint8, bzMaxSelectors)
	}
	mtf := [bzMaxGroups]uint8{0, 1, 2, 3, 4, 5}
	for i := range selectors {
		if r.n < bzMaxGroups+1 {
			r.refill()
		}
		k := bits.LeadingZeros64(^r.buf) // a unary number: k ones, then a zero
		if k >= groups {
			return 0, 0, errBzip2Selectors
		}
		r.skip(uint(k + 1))
		g := mtf[k]
		copy(mtf[1:k+1], mtf[:k])
		mtf[0] = g
		if i < bzMaxSelectors {
			d.selectors[i] = g
		}
		if i&1023 == 0 && r.past() {
			return 0, 0, errBzip2Past
		}
	}
	return groups, min(selectors, bzMaxSelectors), nil
}

// readCodes reads the code lengths of each Huffman code, delta coded from
// a 5-bit start, and builds the codes.
func (d *blockDecoder) readCodes(r *bzBitReader, groups, alphabet int) error {
	lengths := d.lengths[:alphabet]
	for g := range groups {
		length := r.bits(5)
		for i := range lengths {
			for {
				if length < 1 || length > bzMaxCodeLen {
					return errBzip2CodeLength
				}
				if r.bits(1) == 0 {
					break
				}
				length += 1 - 2*r.bits(1) // 10: one longer, 11: one shorter
			}
			lengths[i] = uint8(length)
		}
		if r.past() {
			return errBzip2Past
		}
		if err := d.builder.build(&d.huff[g], lengths); err != nil {
			return err
		}
	}
	return nil
}

// decodeSymbols decodes the block's symbols into d.last, undoing the
// move-to-front and RUNA/RUNB coding, counts the byte values in d.counts
// and returns the number of bytes.
func (d *blockDecoder) decodeSymbols(r *bzBitReader, selectors, alphabet int) (int, error) {
	last, room := d.last[:d.blockSize], d.last[:d.blockSize+8]
	counts := &d.counts
	clear(counts[:])
	mtf := &d.mtf
	eob := uint32(alphabet - 1)
	// The bit reader's state lives in locals, in registers, in this loop.
	buf, nb, pos, src := r.buf, r.n, r.pos, r.src
	n, run, runShift := 0, 0, 0
	for sel := range selectors {
		h := &d.huff[d.selectors[sel]]
		if pos > len(src)+8 {
			return 0, errBzip2Past
		}
		for range bzGroupSymbols {
			if nb < bzMaxCodeLen {
				if pos+8 <= len(src) {
					buf |= binary.BigEndian.Uint64(src[pos:]) >> nb
					pos += int(63-nb) >> 3
					nb |= 56
				} else {
					r.buf, r.n, r.pos = buf, nb, pos
					r.refill()
					buf, nb, pos = r.buf, r.n, r.pos
				}
			}
			e := h.lookup(buf)
			l := uint(e >> bzEntryLen)
			buf <<= l
			nb -= l
			sym := e & 0xffff
			if sym <= bzRunB {
				run += int(sym+1) << runShift
				runShift++
				if run > len(last)-n {
					return 0, errBzip2Overflow
				}
				continue
			}
			if run > 0 {
				b := mtf[0]
				fillRun(room[n:n+run+8], b, run)
				counts[b] += uint32(run)
				n += run
				run, runShift = 0, 0
			}
			if sym == eob {
				r.buf, r.n, r.pos = buf, nb, pos
				return n, nil
			}
			if n >= len(last) {
				return 0, errBzip2Overflow
			}
			b := moveToFront(mtf, sym-1)
			last[n] = b
			counts[b]++
			n++
		}
	}
	return 0, errBzip2Selectors
}

// moveToFront returns the byte at index i of the list and moves it to the
// front, shifting the bytes before it with a copy.
func moveToFront(mtf *[256]byte, i uint32) byte {
	i &= 0xff
	b := mtf[i]
	copy(mtf[1:i+1], mtf[:i])
	mtf[0] = b
	return b
}

// bzBitReader reads a byte slice most significant bit first, through a
// 64-bit buffer refilled a word at a time. Past the end it reads zeros;
// past tells when it has.
type bzBitReader struct {
	src []byte
	pos int    // the bytes of src, and of zeros past it, loaded into buf
	buf uint64 // the next bits from the top; below them, maybe the bits that follow
	n   uint   // the number of bits in buf
}

// refill loads whole bytes into buf until it holds at least 56 bits.
func (r *bzBitReader) refill() {
	if r.pos+8 <= len(r.src) {
		r.buf |= binary.BigEndian.Uint64(r.src[r.pos:]) >> r.n
		r.pos += int(63-r.n) >> 3
		r.n |= 56
		return
	}
	for r.n <= 56 {
		var b byte
		if r.pos < len(r.src) {
			b = r.src[r.pos]
		}
		r.buf |= uint64(b) << (56 - r.n)
		r.pos++
		r.n += 8
	}
}

// bits reads k <= 32 bits.
func (r *bzBitReader) bits(k uint) uint32 {
	if r.n < k {
		r.refill()
	}
	v := uint32(r.buf >> (64 - k))
	r.skip(k)
	return v
}

func (r *bzBitReader) skip(k uint) {
	r.buf <<= k
	r.n -= k
}

func (r *bzBitReader) magic() uint64 {
	hi := uint64(r.bits(bzMagicBits / 2))
	return hi<<(bzMagicBits/2) | uint64(r.bits(bzMagicBits/2))
}

// past reports whether the bits read run past the end of src.
func (r *bzBitReader) past() bool {
	return r.pos*8-int(r.n) > len(r.src)*8
}

// bytesUsed is the number of bytes the bits read so far take.
func (r *bzBitReader) bytesUsed() int {
	return (r.pos*8 - int(r.n) + 7) / 8
}
