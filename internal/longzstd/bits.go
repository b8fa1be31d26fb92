package longzstd

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// backwardBits reads a zstd backward bit stream (RFC 8878 section 4.1): the
// stream is consumed from its last byte towards its first, most significant
// bit first, and the highest set bit of the last byte marks where it starts.
//
// value holds in[pos:pos+8] as a little-endian word (for streams shorter than
// 8 bytes, the stream padded with zero high bytes that count as consumed);
// consumed counts the bits already taken from the top of value.
type backwardBits struct {
	in       []byte
	value    uint64
	pos      int
	consumed uint
}

var (
	errEmptyBitStream = errors.New("empty bit stream")
	errNoEndMark      = errors.New("bit stream does not end with a marker bit")
)

func (br *backwardBits) init(in []byte) error {
	if len(in) == 0 {
		return errEmptyBitStream
	}
	last := in[len(in)-1]
	if last == 0 {
		return errNoEndMark
	}
	br.in = in
	if len(in) >= 8 {
		br.pos = len(in) - 8
		br.value = binary.LittleEndian.Uint64(in[br.pos:])
		br.consumed = 0
	} else {
		br.pos = 0
		var v uint64
		for i := len(in) - 1; i >= 0; i-- {
			v = v<<8 | uint64(in[i])
		}
		br.value = v
		br.consumed = uint(8-len(in)) * 8
	}
	br.consumed += uint(9 - bits.Len8(last))
	return nil
}

// peek returns the next n bits (0 <= n <= 56 after a refill) without
// consuming them. Bits past the start of the stream read as zero as long as
// no more than 64 bits of value were consumed.
func (br *backwardBits) peek(n uint8) uint64 {
	return br.value << (br.consumed & 63) >> 1 >> ((63 - n) & 63)
}

func (br *backwardBits) read(n uint8) uint64 {
	v := br.peek(n)
	br.consumed += uint(n)
	return v
}

// refill makes at least 56 bits available unless the stream is near its
// start, in which case as many as remain.
func (br *backwardBits) refill() {
	if br.pos >= 8 {
		br.pos -= int(br.consumed >> 3)
		br.consumed &= 7
		br.value = binary.LittleEndian.Uint64(br.in[br.pos:])
		return
	}
	br.value, br.pos, br.consumed = refillNearStart(br.in, br.value, br.pos, br.consumed)
}

// refillNearStart is the refill for the last few bytes of a stream, where a
// full 8-byte step back is not possible. It never moves before in[0].
func refillNearStart(in []byte, value uint64, pos int, consumed uint) (uint64, int, uint) {
	if pos == 0 {
		return value, pos, consumed
	}
	step := min(int(consumed>>3), pos)
	pos -= step
	consumed -= uint(step) * 8
	return binary.LittleEndian.Uint64(in[pos:]), pos, consumed
}

// finished reports whether exactly all bits of the stream were consumed.
func (br *backwardBits) finished() bool {
	return br.pos == 0 && br.consumed == 64
}

// overread reports whether more bits were consumed than the stream has.
func (br *backwardBits) overread() bool {
	return br.pos == 0 && br.consumed > 64
}

// exhausted reports whether all bits of the stream were consumed (or more).
func (br *backwardBits) exhausted() bool {
	return br.pos == 0 && br.consumed >= 64
}

// readUnlessExhausted reads n bits, or returns 0 without consuming anything
// once the stream is exhausted. Bits past the start of the stream read as
// zero. It is for the small Huffman weight stream.
func (br *backwardBits) readUnlessExhausted(n uint8) uint64 {
	br.refill()
	if br.exhausted() {
		return 0
	}
	var v uint64
	if n > 0 {
		v = br.value << br.consumed >> (64 - uint(n))
	}
	br.consumed += uint(n)
	return v
}
