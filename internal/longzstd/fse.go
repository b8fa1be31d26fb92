package longzstd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Finite State Entropy tables (RFC 8878 section 4.1).

const (
	minFSELog         = 5
	maxSeqTableLog    = 9
	maxWeightTableLog = 6
)

// fseState is one decoding table cell: the symbol it emits and how to reach
// the next state (base + the next nbBits bits of the stream).
type fseState struct {
	symbol uint8
	nbBits uint8
	base   uint16
}

var (
	errEmptyFSEDescription = errors.New("empty FSE table description")
	errFSEProbabilitySum   = errors.New("FSE table description: probabilities do not add up to the table size")
	errFSETruncated        = errors.New("FSE table description runs past the end of its section")
	errFSESpread           = errors.New("FSE table description: symbol spread does not cover the table")
)

// readNormalizedCounts parses an FSE table description into norm, whose
// length bounds the number of symbols. It returns the accuracy log, the
// number of symbols described and the number of bytes used.
func readNormalizedCounts(in []byte, norm []int16, maxLog uint8) (log uint8, symbols int, used int, err error) {
	if len(in) == 0 {
		return 0, 0, 0, errEmptyFSEDescription
	}
	log = in[0]&15 + minFSELog
	if log > maxLog {
		return 0, 0, 0, fmt.Errorf("FSE accuracy log %d exceeds the maximum %d", log, maxLog)
	}
	bitPos := 4
	remaining := 1<<log + 1
	threshold := 1 << log
	nbBits := int(log) + 1
	maxSymbol := len(norm) - 1
	sym := 0
	previousZero := false
	for remaining > 1 && sym <= maxSymbol {
		if previousZero {
			run := sym
			for {
				flag := int(forwardBitsAt(in, bitPos, 2))
				bitPos += 2
				run += flag
				if flag != 3 {
					break
				}
				if run > maxSymbol {
					break
				}
			}
			if run > maxSymbol {
				return 0, 0, 0, errors.New("FSE table description: run of zero probabilities passes the last symbol")
			}
			for sym < run {
				norm[sym] = 0
				sym++
			}
		}
		most := 2*threshold - 1 - remaining
		v := int(forwardBitsAt(in, bitPos, nbBits))
		var count int
		if low := v & (threshold - 1); low < most {
			count = low
			bitPos += nbBits - 1
		} else {
			count = v & (2*threshold - 1)
			if count >= threshold {
				count -= most
			}
			bitPos += nbBits
		}
		count-- // a stored 0 means "less than one": probability -1
		if count < 0 {
			remaining--
		} else {
			remaining -= count
		}
		norm[sym] = int16(count)
		sym++
		previousZero = count == 0
		for remaining < threshold {
			nbBits--
			threshold >>= 1
		}
	}
	if remaining != 1 {
		return 0, 0, 0, errFSEProbabilitySum
	}
	used = (bitPos + 7) / 8
	if used > len(in) {
		return 0, 0, 0, errFSETruncated
	}
	return log, sym, used, nil
}

// forwardBitsAt returns n <= 24 bits of in starting at bit position pos,
// least significant bit first; bits past the end read as zero.
func forwardBitsAt(in []byte, pos, n int) uint32 {
	off := pos >> 3
	var word uint32
	if off+4 <= len(in) {
		word = binary.LittleEndian.Uint32(in[off:])
	} else {
		for i := 3; i >= 0; i-- {
			word <<= 8
			if off+i < len(in) {
				word |= uint32(in[off+i])
			}
		}
	}
	return word >> (pos & 7) & (1<<n - 1)
}

// buildFSETable fills table[:1<<log] from normalized counts.
func buildFSETable(norm []int16, log uint8, table []fseState) error {
	size := 1 << log
	total := 0
	for _, c := range norm {
		if c < 0 {
			total++
		} else {
			total += int(c)
		}
	}
	if total != size {
		return errFSEProbabilitySum
	}
	table = table[:size]
	var next [256]uint16
	high := size - 1
	for s, c := range norm {
		if c == -1 {
			table[high].symbol = uint8(s)
			high--
			next[s] = 1
		} else {
			next[s] = uint16(c)
		}
	}
	step := size>>1 + size>>3 + 3
	mask := size - 1
	pos := 0
	for s, c := range norm {
		for i := 0; i < int(c); i++ {
			table[pos].symbol = uint8(s)
			pos = (pos + step) & mask
			for pos > high {
				pos = (pos + step) & mask
			}
		}
	}
	if pos != 0 {
		return errFSESpread
	}
	for u := range table {
		s := table[u].symbol
		state := next[s]
		next[s]++
		nb := log - uint8(bits.Len16(state)-1)
		table[u].nbBits = nb
		table[u].base = state<<nb - uint16(size)
	}
	return nil
}

// seqEntry is one cell of a sequence decoding table (literal lengths, match
// lengths or offsets), packing the next-state rule with the value of the
// symbol's code: bits 0-15 next-state base, 16-23 state bits, 24-31 extra
// bits of the value, 32-63 baseline of the value.
type seqEntry uint64

func newSeqEntry(base uint16, stateBits, extraBits uint8, baseline uint32) seqEntry {
	return seqEntry(base) | seqEntry(stateBits)<<16 | seqEntry(extraBits)<<24 | seqEntry(baseline)<<32
}

func (e seqEntry) nextBase() uint64       { return uint64(e) & 0xffff }
func (e seqEntry) stateBits() uint8       { return uint8(e >> 16) }
func (e seqEntry) extraBits() uint8       { return uint8(e >> 24) }
func (e seqEntry) baseline() uint64       { return uint64(e >> 32) }
func (e seqEntry) value(extra uint64) int { return int(e.baseline() + extra) }

// seqTable is a decoding table for one of the three sequence fields.
type seqTable struct {
	entries [1 << maxSeqTableLog]seqEntry
	log     uint8
}

// seqCode is what a literal length, match length or offset code stands for.
type seqCode struct {
	baseline  uint32
	extraBits uint8
}

// buildFromCounts builds the table from normalized counts of codes.
func (t *seqTable) buildFromCounts(norm []int16, log uint8, codes []seqCode) error {
	var cells [1 << maxSeqTableLog]fseState
	if err := buildFSETable(norm, log, cells[:]); err != nil {
		return err
	}
	for u, c := range cells[:1<<log] {
		code := codes[c.symbol]
		t.entries[u] = newSeqEntry(c.base, c.nbBits, code.extraBits, code.baseline)
	}
	t.log = log
	return nil
}

// setRLE makes the table always yield code without consuming state bits.
func (t *seqTable) setRLE(code seqCode) {
	t.entries[0] = newSeqEntry(0, 0, code.extraBits, code.baseline)
	t.log = 0
}

var literalLengthCodes = func() []seqCode {
	codes := make([]seqCode, 0, 36)
	for i := range 16 {
		codes = append(codes, seqCode{uint32(i), 0})
	}
	rest := []seqCode{
		{16, 1}, {18, 1}, {20, 1}, {22, 1}, {24, 2}, {28, 2}, {32, 3}, {40, 3},
		{48, 4}, {64, 6}, {128, 7}, {256, 8}, {512, 9}, {1024, 10}, {2048, 11},
		{4096, 12}, {8192, 13}, {16384, 14}, {32768, 15}, {65536, 16},
	}
	return append(codes, rest...)
}()

var matchLengthCodes = func() []seqCode {
	codes := make([]seqCode, 0, 53)
	for i := range 32 {
		codes = append(codes, seqCode{uint32(i + 3), 0})
	}
	rest := []seqCode{
		{35, 1}, {37, 1}, {39, 1}, {41, 1}, {43, 2}, {47, 2}, {51, 3}, {59, 3},
		{67, 4}, {83, 4}, {99, 5}, {131, 7}, {259, 8}, {515, 9}, {1027, 10},
		{2051, 11}, {4099, 12}, {8195, 13}, {16387, 14}, {32771, 15}, {65539, 16},
	}
	return append(codes, rest...)
}()

// offsetCodes holds, for codes 2 and up, the offset itself (Offset_Value - 3)
// as baseline; codes 0 and 1 keep Offset_Value (1, and 2 or 3), which
// selects a repeat offset. The decoder tells them apart by extra bits > 1.
var offsetCodes = func() []seqCode {
	codes := make([]seqCode, 32)
	for i := range codes {
		base := uint32(1) << i
		if i >= 2 {
			base -= 3
		}
		codes[i] = seqCode{base, uint8(i)}
	}
	return codes
}()

const (
	maxLiteralLengthCode = 35
	maxMatchLengthCode   = 52
	maxOffsetCode        = 31
)

var (
	predefinedLiteralLengths = []int16{4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1}
	predefinedMatchLengths   = []int16{1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1}
	predefinedOffsets        = []int16{1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1}

	predefinedLiteralLengthTable = mustPredefinedTable(predefinedLiteralLengths, 6, literalLengthCodes)
	predefinedMatchLengthTable   = mustPredefinedTable(predefinedMatchLengths, 6, matchLengthCodes)
	predefinedOffsetTable        = mustPredefinedTable(predefinedOffsets, 5, offsetCodes)
)

func mustPredefinedTable(norm []int16, log uint8, codes []seqCode) *seqTable {
	t := new(seqTable)
	if err := t.buildFromCounts(norm, log, codes); err != nil {
		panic("longzstd: bad predefined table: " + err.Error())
	}
	return t
}
