package longzstd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Huffman coding of literals (RFC 8878 section 4.2).

const (
	maxHuffmanLog  = 11
	maxHuffWeights = 255
)

// huffWeights holds the weights of a Huffman tree description: up to 255
// given ones, the implied last one, and room for the decoder to overshoot
// by one before it reports too many.
type huffWeights [maxHuffWeights + 3]uint8

// huffTable is a single-symbol decoding table: indexed by the next log bits
// of the stream, each cell holds symbol<<8 | code length.
type huffTable struct {
	cells [1 << maxHuffmanLog]uint16
	log   uint8
}

var (
	errHuffTreeTruncated   = errors.New("Huffman tree description runs past the literals section")
	errHuffWeightsZero     = errors.New("Huffman tree description: all weights are zero")
	errHuffNotPowerOfTwo   = errors.New("Huffman tree description: weights do not complete to a power of two")
	errHuffRankOne         = errors.New("Huffman tree description: odd or too small number of weight-1 symbols")
	errHuffTooManyWeights  = errors.New("Huffman tree description: more than 255 weights")
	errHuffWeightsOverread = errors.New("Huffman weight stream ends inside a state update")
	errHuffStreamEnd       = errors.New("Huffman stream does not end where its literals do")
	errJumpTable           = errors.New("Huffman 4-stream jump table exceeds the literals section")
	errFourStreamsTooFew   = errors.New("too few literals for 4 Huffman streams")
)

// read parses a Huffman tree description at the start of in, builds the
// table and returns the number of bytes it used.
func (t *huffTable) read(in []byte) (int, error) {
	if len(in) < 2 {
		return 0, errHuffTreeTruncated
	}
	var weights huffWeights
	header := int(in[0])
	var n, used int
	if header >= 128 {
		n = header - 127
		used = 1 + (n+1)/2
		if used > len(in) {
			return 0, errHuffTreeTruncated
		}
		for i := 0; i < n; i += 2 {
			b := in[1+i/2]
			weights[i] = b >> 4
			weights[i+1] = b & 15
		}
	} else {
		used = 1 + header
		if used > len(in) {
			return 0, errHuffTreeTruncated
		}
		var err error
		n, err = decodeHuffmanWeights(in[1:used], &weights)
		if err != nil {
			return 0, err
		}
	}
	return used, t.build(weights[:], n)
}

// decodeHuffmanWeights decodes FSE-compressed weights: two interleaved
// states share one backward stream, and decoding ends with the symbols of
// both final states when the stream is exhausted and the next state update
// would need bits. An update that runs past the end of the stream is an
// error: the reference decoder reads zeros there instead, but a conformant
// encoder never ends a stream inside an update, and klauspost/compress
// rejects such streams too.
func decodeHuffmanWeights(in []byte, weights *huffWeights) (int, error) {
	var norm [256]int16
	log, symbols, used, err := readNormalizedCounts(in, norm[:], maxWeightTableLog)
	if err != nil {
		return 0, err
	}
	var table [1 << maxWeightTableLog]fseState
	if err := buildFSETable(norm[:symbols], log, table[:]); err != nil {
		return 0, err
	}
	var br backwardBits
	if err := br.init(in[used:]); err != nil {
		return 0, err
	}
	mask := uint16(1)<<log - 1
	s1 := uint16(br.readUnlessExhausted(log)) & mask
	s2 := uint16(br.readUnlessExhausted(log)) & mask
	n := 0
	for {
		c1 := table[s1]
		if br.exhausted() && c1.nbBits > 0 {
			weights[n], weights[n+1] = c1.symbol, table[s2].symbol
			n += 2
			break
		}
		weights[n] = c1.symbol
		n++
		s1 = (c1.base + uint16(br.readUnlessExhausted(c1.nbBits))) & mask
		c2 := table[s2]
		if br.exhausted() && c2.nbBits > 0 {
			weights[n], weights[n+1] = c2.symbol, table[s1].symbol
			n += 2
			break
		}
		weights[n] = c2.symbol
		n++
		s2 = (c2.base + uint16(br.readUnlessExhausted(c2.nbBits))) & mask
		if n >= maxHuffWeights {
			return 0, errHuffTooManyWeights
		}
	}
	if br.overread() {
		return 0, errHuffWeightsOverread
	}
	if n > maxHuffWeights {
		return 0, errHuffTooManyWeights
	}
	return n, nil
}

// build fills the table from the weights of the first n symbols; the last
// symbol's weight is implied.
func (t *huffTable) build(weights []uint8, n int) error {
	var rankCount [maxHuffmanLog + 2]int
	total := 0
	for _, w := range weights[:n] {
		if w > maxHuffmanLog {
			return fmt.Errorf("Huffman weight %d exceeds %d", w, maxHuffmanLog)
		}
		rankCount[w]++
		if w > 0 {
			total += 1 << (w - 1)
		}
	}
	if total == 0 {
		return errHuffWeightsZero
	}
	log := bits.Len(uint(total))
	if log > maxHuffmanLog {
		return fmt.Errorf("Huffman code length %d exceeds %d", log, maxHuffmanLog)
	}
	rest := 1<<log - total
	if rest&(rest-1) != 0 {
		return errHuffNotPowerOfTwo
	}
	lastWeight := uint8(bits.Len(uint(rest)))
	weights[n] = lastWeight
	rankCount[lastWeight]++
	n++
	if rankCount[1] < 2 || rankCount[1]&1 != 0 {
		return errHuffRankOne
	}
	var start [maxHuffmanLog + 2]int
	next := 0
	for w := 1; w <= log; w++ {
		start[w] = next
		next += rankCount[w] << (w - 1)
	}
	for s, w := range weights[:n] {
		if w == 0 {
			continue
		}
		cell := uint16(s)<<8 | uint16(log+1-int(w))
		first := start[w]
		span := t.cells[first : first+1<<(w-1)]
		for i := range span {
			span[i] = cell
		}
		start[w] = first + len(span)
	}
	t.log = uint8(log)
	return nil
}

// decode1 decodes a single Huffman stream into all of dst.
func (t *huffTable) decode1(dst, src []byte) error {
	var br backwardBits
	if err := br.init(src); err != nil {
		return err
	}
	t.decodeStream(&br, dst)
	if !br.finished() {
		return errHuffStreamEnd
	}
	return nil
}

// decodeStream decodes len(dst) symbols from br.
func (t *huffTable) decodeStream(br *backwardBits, dst []byte) {
	cells := &t.cells
	shift := (64 - t.log) & 63
	value, pos, consumed, in := br.value, br.pos, br.consumed, br.in
	o := 0
	for ; o+4 <= len(dst) && pos >= 8; o += 4 {
		pos -= int(consumed >> 3)
		consumed &= 7
		value = binary.LittleEndian.Uint64(in[pos:])
		c0 := cells[value<<(consumed&63)>>shift&(1<<maxHuffmanLog-1)]
		consumed += uint(c0 & 0xff)
		c1 := cells[value<<(consumed&63)>>shift&(1<<maxHuffmanLog-1)]
		consumed += uint(c1 & 0xff)
		c2 := cells[value<<(consumed&63)>>shift&(1<<maxHuffmanLog-1)]
		consumed += uint(c2 & 0xff)
		c3 := cells[value<<(consumed&63)>>shift&(1<<maxHuffmanLog-1)]
		consumed += uint(c3 & 0xff)
		binary.LittleEndian.PutUint32(dst[o:], uint32(c0>>8)|uint32(c1>>8)<<8|uint32(c2>>8)<<16|uint32(c3>>8)<<24)
	}
	for ; o < len(dst); o++ {
		if pos >= 8 {
			pos -= int(consumed >> 3)
			consumed &= 7
			value = binary.LittleEndian.Uint64(in[pos:])
		} else {
			value, pos, consumed = refillNearStart(in, value, pos, consumed)
		}
		c := cells[value<<(consumed&63)>>shift&(1<<maxHuffmanLog-1)]
		consumed += uint(c & 0xff)
		dst[o] = byte(c >> 8)
	}
	br.value, br.pos, br.consumed = value, pos, consumed
}

// decode4 decodes four interleaved Huffman streams, preceded by their jump
// table, into dst, each stream filling a quarter.
func (t *huffTable) decode4(dst, src []byte) error {
	if len(src) < 10 {
		return errJumpTable
	}
	segment := (len(dst) + 3) / 4
	if 3*segment > len(dst) {
		return errFourStreamsTooFew
	}
	l0 := int(binary.LittleEndian.Uint16(src[0:]))
	l1 := int(binary.LittleEndian.Uint16(src[2:]))
	l2 := int(binary.LittleEndian.Uint16(src[4:]))
	start1 := 6 + l0
	start2 := start1 + l1
	start3 := start2 + l2
	if start3 > len(src) {
		return errJumpTable
	}
	var br [4]backwardBits
	for i, s := range [4][]byte{src[6:start1], src[start1:start2], src[start2:start3], src[start3:]} {
		if err := br[i].init(s); err != nil {
			return fmt.Errorf("Huffman stream %d: %w", i+1, err)
		}
	}
	done := t.decode4Fast(&br, dst, segment)
	for i := range br {
		end := min((i+1)*segment, len(dst))
		t.decodeStream(&br[i], dst[i*segment+done:end])
		if !br[i].finished() {
			return fmt.Errorf("Huffman stream %d: %w", i+1, errHuffStreamEnd)
		}
	}
	return nil
}

// decode4Fast decodes the four streams in lockstep, four symbols each per
// round, while all of them can refill 8 bytes at a time. It returns how many
// symbols each stream produced.
func (t *huffTable) decode4Fast(br *[4]backwardBits, dst []byte, segment int) int {
	cells := &t.cells
	shift := (64 - t.log) & 63
	const mask = 1<<maxHuffmanLog - 1
	v0, p0, c0, in0 := br[0].value, br[0].pos, br[0].consumed, br[0].in
	v1, p1, c1, in1 := br[1].value, br[1].pos, br[1].consumed, br[1].in
	v2, p2, c2, in2 := br[2].value, br[2].pos, br[2].consumed, br[2].in
	v3, p3, c3, in3 := br[3].value, br[3].pos, br[3].consumed, br[3].in
	last := len(dst) - 3*segment // symbols of the shortest (fourth) stream
	o := 0
	out0 := dst[:segment]
	out1 := dst[segment : 2*segment]
	out2 := dst[2*segment : 3*segment]
	out3 := dst[3*segment:]
	for ; o+4 <= last && p0 >= 8 && p1 >= 8 && p2 >= 8 && p3 >= 8; o += 4 {
		p0 -= int(c0 >> 3)
		c0 &= 7
		v0 = binary.LittleEndian.Uint64(in0[p0:])
		p1 -= int(c1 >> 3)
		c1 &= 7
		v1 = binary.LittleEndian.Uint64(in1[p1:])
		p2 -= int(c2 >> 3)
		c2 &= 7
		v2 = binary.LittleEndian.Uint64(in2[p2:])
		p3 -= int(c3 >> 3)
		c3 &= 7
		v3 = binary.LittleEndian.Uint64(in3[p3:])

		var w0, w1, w2, w3 uint32
		for k := 0; k < 32; k += 8 {
			e0 := cells[v0<<(c0&63)>>shift&mask]
			e1 := cells[v1<<(c1&63)>>shift&mask]
			e2 := cells[v2<<(c2&63)>>shift&mask]
			e3 := cells[v3<<(c3&63)>>shift&mask]
			c0 += uint(e0 & 0xff)
			c1 += uint(e1 & 0xff)
			c2 += uint(e2 & 0xff)
			c3 += uint(e3 & 0xff)
			w0 |= uint32(e0>>8) << k
			w1 |= uint32(e1>>8) << k
			w2 |= uint32(e2>>8) << k
			w3 |= uint32(e3>>8) << k
		}
		binary.LittleEndian.PutUint32(out0[o:], w0)
		binary.LittleEndian.PutUint32(out1[o:], w1)
		binary.LittleEndian.PutUint32(out2[o:], w2)
		binary.LittleEndian.PutUint32(out3[o:], w3)
	}
	br[0].value, br[0].pos, br[0].consumed = v0, p0, c0
	br[1].value, br[1].pos, br[1].consumed = v1, p1, c1
	br[2].value, br[2].pos, br[2].consumed = v2, p2, c2
	br[3].value, br[3].pos, br[3].consumed = v3, p3, c3
	return o
}
