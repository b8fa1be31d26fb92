package wikipedia

import "encoding/binary"

// bzip2 framing. A stream is "BZh" and a level digit, then blocks, each
// starting with the 48-bit block magic and its 32-bit CRC, then the 48-bit
// end-of-stream magic, the 32-bit stream CRC and padding to a byte. Blocks
// are not byte-aligned.
const (
	bzBlockMagic  = 0x314159265359
	bzEOSMagic    = 0x177245385090
	bzMagicBits   = 48
	bzCRCBits     = 32
	bzHeaderBytes = 4
	bzTrailerBits = bzMagicBits + bzCRCBits
	mask48        = 1<<bzMagicBits - 1
)

// magicFilter has bit v set when v can be the two bytes that follow the
// byte in which a magic starts: for a magic m starting at bit s of byte i,
// bytes i+1 and i+2 are bits 8-s to 24-s of m. It lets the search test
// one table bit per byte instead of 16 comparisons.
var magicFilter = func() (f [1 << 16 / 64]uint64) {
	for _, m := range [...]uint64{bzBlockMagic, bzEOSMagic} {
		for s := range 8 {
			v := m >> (24 + s) & 0xffff
			f[v/64] |= 1 << (v % 64)
		}
	}
	return f
}()

// findMagic finds the first block or end-of-stream magic in b that starts
// at or after bit from. When there is none it returns found false and the
// bit from which to search again once b has grown; unless final, the last
// few bytes of b are left for then.
func findMagic(b []byte, from int64, final bool) (at int64, eos, found bool) {
	i := int(from / 8)
	for ; i+8 <= len(b); i++ {
		v := uint(b[i+1])<<8 | uint(b[i+2])
		if magicFilter[v/64]&(1<<(v%64)) == 0 {
			continue
		}
		if at, eos, found = magicAt(binary.BigEndian.Uint64(b[i:]), i, from); found {
			return at, eos, true
		}
	}
	if !final {
		return max(from, int64(i)*8), false, false
	}
	for ; i+bzMagicBits/8 <= len(b); i++ {
		if at, eos, found = magicAt(load64(b, i), i, from); found && at+bzMagicBits <= int64(len(b))*8 {
			return at, eos, true
		}
	}
	return int64(len(b)) * 8, false, false
}

// magicAt tests the 8 bit positions of byte i, whose big-endian 64-bit
// window is w.
func magicAt(w uint64, i int, from int64) (at int64, eos, found bool) {
	for s := range 8 {
		at = int64(i)*8 + int64(s)
		if at < from {
			continue
		}
		switch w >> (16 - s) & mask48 {
		case bzBlockMagic:
			return at, false, true
		case bzEOSMagic:
			return at, true, true
		}
	}
	return 0, false, false
}

// load64 reads 8 bytes at i big-endian, zero-padded past the end of b.
func load64(b []byte, i int) uint64 {
	if i+8 <= len(b) {
		return binary.BigEndian.Uint64(b[i:])
	}
	var pad [8]byte
	if i < len(b) {
		copy(pad[:], b[i:])
	}
	return binary.BigEndian.Uint64(pad[:])
}

// bitsAt reads n <= 56 bits of b starting at bit pos.
func bitsAt(b []byte, pos int64, n int) uint64 {
	w := load64(b, int(pos/8)) << (pos % 8)
	return w >> (64 - n)
}

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	buf  []byte
	acc  uint64 // the low nacc bits are pending
	nacc uint
}

// write appends the low n <= 56 bits of v.
func (w *bitWriter) write(v uint64, n uint) {
	w.acc = w.acc<<n | v&(1<<n-1)
	w.nacc += n
	for w.nacc >= 8 {
		w.nacc -= 8
		w.buf = append(w.buf, byte(w.acc>>w.nacc))
	}
}

// copyBits appends n bits of src starting at bit from.
func (w *bitWriter) copyBits(src []byte, from, n int64) {
	if w.nacc == 0 {
		from, n = w.copyWords(src, from, n)
	}
	for n > 0 {
		k := min(n, 56)
		w.write(bitsAt(src, from, int(k)), uint(k))
		from, n = from+k, n-k
	}
}

// copyWords is the fast path of copyBits for a byte-aligned writer: 64 bits
// at a time. It returns what is left to copy.
func (w *bitWriter) copyWords(src []byte, from, n int64) (int64, int64) {
	shift := uint(from % 8)
	i := int(from / 8)
	for n >= 64 && i+9 <= len(src) {
		v := binary.BigEndian.Uint64(src[i:])<<shift | uint64(src[i+8])>>(8-shift)
		w.buf = binary.BigEndian.AppendUint64(w.buf, v)
		i, from, n = i+8, from+64, n-64
	}
	return from, n
}

// bytes pads the last byte with zero bits and returns the buffer.
func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.write(0, 8-w.nacc)
	}
	return w.buf
}
