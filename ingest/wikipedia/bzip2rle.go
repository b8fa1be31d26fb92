package wikipedia

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// bzip2 codes runs of 4 to 259 equal bytes, before its transform, as 4
// bytes and a count of the others. A run starts at the first byte, after
// a count and wherever the byte changes; the earliest 4 equal bytes after
// a count are therefore always a run's.
const (
	rleRunBytes = 4
	rleMaxRun   = rleRunBytes + 255
	// rleSlack is the room kept past the output for 8-byte stores.
	rleSlack = rleMaxRun + 16
)

// unRLE1 appends the expansion of pre to dst.
func unRLE1(dst, pre []byte) []byte {
	out := slices.Grow(dst, len(pre)+len(pre)/16+rleSlack)
	o := len(out)
	out = out[:cap(out)]
	i := 0
	for {
		i, o = copyLiterals(out, pre, i, o)
		if i >= len(pre) {
			return out[:o]
		}
		if len(out)-o < len(pre)-i+rleSlack {
			out = slices.Grow(out[:o], 2*(len(pre)-i)+rleSlack)
			out = out[:cap(out)]
		}
		if i+rleRunBytes > len(pre) || !isRun(pre[i:i+rleRunBytes]) {
			out[o] = pre[i]
			i, o = i+1, o+1
			continue
		}
		n := rleRunBytes
		if i+rleRunBytes < len(pre) {
			n += int(pre[i+rleRunBytes])
		}
		fillRun(out[o:o+rleMaxRun+8], pre[i], n)
		i, o = min(i+rleRunBytes+1, len(pre)), o+n
	}
}

// copyLiterals copies pre[i:] to out[o:] up to the first 4 equal bytes,
// 8 bytes at a time; it stops short of the last few. out must have room
// for all of pre[i:] and 8 bytes more.
func copyLiterals(out, pre []byte, i, o int) (int, int) {
	for i+8 <= len(pre) && o+8 <= len(out) {
		w := binary.LittleEndian.Uint64(pre[i:])
		z := zeroBytes(w ^ w>>8) // byte k: pre[i+k] == pre[i+k+1], for k < 7
		runs := z & (z >> 8) & (z >> 16) & 0x80_8080_8080
		binary.LittleEndian.PutUint64(out[o:], w)
		if runs != 0 {
			k := bits.TrailingZeros64(runs) >> 3
			return i + k, o + k
		}
		i, o = i+5, o+5
	}
	return i, o
}

// zeroBytes sets the top bit of each byte of x that is zero, and no other.
func zeroBytes(x uint64) uint64 {
	const low7 = 0x7f7f_7f7f_7f7f_7f7f
	return ^((x&low7 + low7) | x | low7)
}

func isRun(b []byte) bool {
	return b[0] == b[1] && b[0] == b[2] && b[0] == b[3]
}

// fillRun writes n copies of b, 8 at a time: dst needs room for up to 7
// more.
func fillRun(dst []byte, b byte, n int) {
	w := uint64(b) * 0x0101_0101_0101_0101
	for k := 0; k < n; k += 8 {
		binary.LittleEndian.PutUint64(dst[k:], w)
	}
}
