package wikipedia

import (
	"cmp"
	"errors"
	"math/bits"
	"slices"
)

// A bzip2 block codes its symbols with 2 to 6 Huffman codes given by their
// code lengths. For a complete code (every real encoder's) the codes are
// the canonical ones. For other length sets this decoder reads the codes
// as compress/bzip2 does, so that both accept and decode the same input:
// the codes are assigned longest first, counting up as 32-bit numbers that
// may wrap, two equal codes are an error, and a symbol's code is made of
// only the bits where its branch of the code tree forks (a crit-bit tree),
// every bit inverted.
const (
	bzMaxCodeLen  = 20
	bzMaxAlphabet = 258 // RUNA, RUNB, move-to-front indexes 1 to 255, end of block
	bzLookupBits  = 10
	bzLongEntry   = 1 << 31 // a table entry that points to a subtable
	bzEntryLen    = 16      // an entry is symbol | length<<bzEntryLen
	bzSubShift    = 5       // a subtable entry is bzLongEntry | offset<<bzSubShift | bits
	bzSubOffsets  = 1<<26 - 1
	bzSubBits     = 1<<bzSubShift - 1
)

var errBzip2SameCodes = errors.New("bzip2 data invalid: two Huffman codes are equal")

// bzHuffman decodes one Huffman code by looking up the next bzLookupBits
// bits of input, then, for longer codes, the bits after them in a subtable.
type bzHuffman struct {
	// table entries are symbol | length<<bzEntryLen, or for longer codes
	// bzLongEntry | offset<<bzSubShift | bits: the subtable sub[offset:]
	// indexed by the next bits bits.
	table [1 << bzLookupBits]uint32
	sub   []uint32
}

// lookup returns the entry, symbol | length<<bzEntryLen, of the code at the
// top of buf, which must hold at least bzMaxCodeLen bits.
func (h *bzHuffman) lookup(buf uint64) uint32 {
	e := h.table[buf>>(64-bzLookupBits)]
	if e&bzLongEntry != 0 {
		sub := buf << bzLookupBits >> (64 - e&bzSubBits)
		e = h.sub[e>>bzSubShift&bzSubOffsets+uint32(sub)]
	}
	return e
}

// bzCode is the 32-bit number a symbol's code is assigned.
type bzCode struct {
	code uint32
	sym  uint16
}

// bzHuffmanBuilder holds the scratch space of building codes.
type bzHuffmanBuilder struct {
	order   [bzMaxAlphabet]uint16 // symbols by code length, then symbol
	codes   [bzMaxAlphabet]bzCode // by assigned code
	eff     [bzMaxAlphabet]uint32 // the bits each symbol is read as
	effLen  [bzMaxAlphabet]uint8
	subBits [1 << bzLookupBits]uint8 // per table entry, the longest code's bits past bzLookupBits
}

// build makes h decode the code of the given lengths (each 1..20).
func (b *bzHuffmanBuilder) build(h *bzHuffman, lengths []uint8) error {
	codes := b.assign(lengths)
	for i := 1; i < len(codes); i++ {
		if codes[i].code == codes[i-1].code {
			return errBzip2SameCodes
		}
	}
	b.fork(codes, 0, 0)
	b.fill(h, len(lengths))
	return nil
}

// assign gives each symbol its 32-bit code, longest codes first, and
// returns the codes sorted.
func (b *bzHuffmanBuilder) assign(lengths []uint8) []bzCode {
	var start [bzMaxCodeLen + 2]int
	for _, l := range lengths {
		start[l+1]++
	}
	for l := 1; l < len(start); l++ {
		start[l] += start[l-1]
	}
	for sym, l := range lengths {
		b.order[start[l]] = uint16(sym)
		start[l]++
	}
	n := len(lengths)
	codes := b.codes[:n]
	var sum uint64
	for k := n - 1; k >= 0; k-- {
		sym := b.order[k]
		codes[n-1-k] = bzCode{code: uint32(sum), sym: sym}
		sum += 1 << (32 - lengths[sym])
	}
	if sum > 1<<32 { // wrapped: no longer in order
		slices.SortFunc(codes, func(x, y bzCode) int { return cmp.Compare(x.code, y.code) })
	}
	return codes
}

// fork gives the symbols of codes, which share the path prefix of depth
// bits, the bits they are read as: one per fork of their code tree.
func (b *bzHuffmanBuilder) fork(codes []bzCode, prefix uint32, depth uint8) {
	if len(codes) == 1 {
		b.eff[codes[0].sym], b.effLen[codes[0].sym] = prefix, depth
		return
	}
	// The codes are distinct multiples of 1<<12, sorted: the first and
	// last differ at the fork, at most at bit 12, so depth stays <= 20.
	at := bits.LeadingZeros32(codes[0].code ^ codes[len(codes)-1].code)
	bit := uint32(1) << (31 - at)
	mid := 1
	for codes[mid].code&bit == 0 {
		mid++
	}
	b.fork(codes[:mid], prefix<<1|1, depth+1) // a 0 in the code is read as a 1
	b.fork(codes[mid:], prefix<<1, depth+1)
}

// fill writes h's tables from the symbols' bits.
func (b *bzHuffmanBuilder) fill(h *bzHuffman, alphabet int) {
	clear(b.subBits[:])
	for sym := range alphabet {
		if l := b.effLen[sym]; l > bzLookupBits {
			q := b.eff[sym] >> (l - bzLookupBits)
			b.subBits[q] = max(b.subBits[q], l-bzLookupBits)
		}
	}
	h.sub = h.sub[:0]
	for q, extra := range b.subBits {
		if extra > 0 {
			h.table[q] = bzLongEntry | uint32(len(h.sub))<<bzSubShift | uint32(extra)
			h.sub = append(h.sub, make([]uint32, 1<<extra)...)
		}
	}
	for sym := range alphabet {
		code, l := b.eff[sym], b.effLen[sym]
		entry := uint32(sym) | uint32(l)<<bzEntryLen
		if l <= bzLookupBits {
			fillEntries(h.table[code<<(bzLookupBits-l):], 1<<(bzLookupBits-l), entry)
			continue
		}
		q := code >> (l - bzLookupBits)
		extra := b.subBits[q]
		off := h.table[q] >> bzSubShift & bzSubOffsets
		low := code & (1<<(l-bzLookupBits) - 1)
		fillEntries(h.sub[off+low<<(extra-(l-bzLookupBits)):], 1<<(extra-(l-bzLookupBits)), entry)
	}
}

func fillEntries(dst []uint32, n int, entry uint32) {
	dst = dst[:n]
	for i := range dst {
		dst[i] = entry
	}
}
