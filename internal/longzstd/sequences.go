package longzstd

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The sequences section of a compressed block (RFC 8878 sections 3.1.1.3.2
// and 3.1.1.4).

const (
	modePredefined = 0
	modeRLE        = 1
	modeFSE        = 2
	modeRepeat     = 3
)

// sequenceField names one of the three fields a sequence is made of.
type sequenceField struct {
	name       string
	maxCode    int
	codes      []seqCode
	predefined *seqTable
	modeShift  uint
}

var (
	literalLengthField = sequenceField{"literal length", maxLiteralLengthCode, literalLengthCodes, predefinedLiteralLengthTable, 6}
	offsetField        = sequenceField{"offset", maxOffsetCode, offsetCodes, predefinedOffsetTable, 4}
	matchLengthField   = sequenceField{"match length", maxMatchLengthCode, matchLengthCodes, predefinedMatchLengthTable, 2}
)

// sequenceTables is the per-frame state of sequence decoding: the table in
// use for each field (kept for Repeat mode), storage for tables read from
// blocks, and the repeat offsets.
type sequenceTables struct {
	literalLengths, offsets, matchLengths *seqTable
	ownLiteralLengths, ownOffsets         seqTable
	ownMatchLengths                       seqTable
	repeats                               [3]int
}

func (s *sequenceTables) reset() {
	s.literalLengths, s.offsets, s.matchLengths = nil, nil, nil
	s.repeats = [3]int{1, 4, 8}
}

var (
	errSequencesHeaderTruncated = errors.New("sequences section header runs past the block")
	errSequencesReservedBits    = errors.New("sequences section: reserved bits of the compression modes are set")
	errBytesAfterNoSequences    = errors.New("bytes follow a sequences section with no sequences")
	errSequenceStreamEnd        = errors.New("sequence bit stream does not end with the last sequence")
	errSequenceStreamOverread   = errors.New("sequence bit stream is shorter than its sequences")
	errLiteralsOverrun          = errors.New("sequences use more literals than the block has")
)

// parseSequenceCount reads Number_of_Sequences and returns it with the rest.
func parseSequenceCount(in []byte) (int, []byte, error) {
	if len(in) == 0 {
		return 0, nil, errSequencesHeaderTruncated
	}
	switch b0 := int(in[0]); {
	case b0 < 128:
		return b0, in[1:], nil
	case b0 < 255:
		if len(in) < 2 {
			return 0, nil, errSequencesHeaderTruncated
		}
		return (b0-128)<<8 | int(in[1]), in[2:], nil
	default:
		if len(in) < 3 {
			return 0, nil, errSequencesHeaderTruncated
		}
		return int(in[1]) | int(in[2])<<8 + 0x7f00, in[3:], nil
	}
}

// decodeSequences decodes the sequences section in and executes it with
// lits into out, returning the size of the block's output.
func (d *Reader) decodeSequences(in, lits, out []byte) (int, error) {
	count, in, err := parseSequenceCount(in)
	if err != nil {
		return 0, err
	}
	if count == 0 {
		if len(in) != 0 {
			return 0, errBytesAfterNoSequences
		}
		return copy(out, lits), nil
	}
	if len(in) == 0 {
		return 0, errSequencesHeaderTruncated
	}
	modes := in[0]
	if modes&3 != 0 {
		return 0, errSequencesReservedBits
	}
	in = in[1:]
	t := &d.sequences
	if in, err = selectTable(&t.literalLengths, &t.ownLiteralLengths, literalLengthField, modes, in); err != nil {
		return 0, err
	}
	if in, err = selectTable(&t.offsets, &t.ownOffsets, offsetField, modes, in); err != nil {
		return 0, err
	}
	if in, err = selectTable(&t.matchLengths, &t.ownMatchLengths, matchLengthField, modes, in); err != nil {
		return 0, err
	}
	return d.executeSequences(in, count, lits, out)
}

// selectTable sets *current to the table the block's mode for field asks
// for, reading its description from in, and returns the rest of in.
func selectTable(current **seqTable, own *seqTable, field sequenceField, modes byte, in []byte) ([]byte, error) {
	switch (modes >> field.modeShift) & 3 {
	case modePredefined:
		*current = field.predefined
	case modeRLE:
		if len(in) == 0 {
			return nil, fmt.Errorf("%s RLE code runs past the block", field.name)
		}
		code := int(in[0])
		if code > field.maxCode {
			return nil, fmt.Errorf("%s RLE code %d exceeds %d", field.name, code, field.maxCode)
		}
		own.setRLE(field.codes[code])
		*current = own
		in = in[1:]
	case modeFSE:
		var norm [maxMatchLengthCode + 1]int16
		log, symbols, used, err := readNormalizedCounts(in, norm[:field.maxCode+1], maxSeqTableLog)
		if err != nil {
			*current = nil
			return nil, fmt.Errorf("%s table: %w", field.name, err)
		}
		if symbols < 2 {
			*current = nil
			return nil, fmt.Errorf("%s table has a single symbol (RLE mode must be used)", field.name)
		}
		if err := own.buildFromCounts(norm[:symbols], log, field.codes); err != nil {
			*current = nil
			return nil, fmt.Errorf("%s table: %w", field.name, err)
		}
		*current = own
		in = in[used:]
	case modeRepeat:
		if *current == nil {
			return nil, fmt.Errorf("%s table repeated, but no earlier block of the frame defined one", field.name)
		}
	}
	return in, nil
}

// executeSequences decodes count sequences from the bit stream and carries
// each out at once: copy its literals, then its match, into out.
func (d *Reader) executeSequences(stream []byte, count int, lits, out []byte) (int, error) {
	var br backwardBits
	if err := br.init(stream); err != nil {
		return 0, fmt.Errorf("sequence bit stream: %w", err)
	}
	t := &d.sequences
	llTable, ofTable, mlTable := &t.literalLengths.entries, &t.offsets.entries, &t.matchLengths.entries
	llState := br.read(t.literalLengths.log)
	ofState := br.read(t.offsets.log)
	mlState := br.read(t.matchLengths.log)

	value, pos, consumed, in := br.value, br.pos, br.consumed, br.in
	rep0, rep1, rep2 := t.repeats[0], t.repeats[1], t.repeats[2]
	blockMax := d.frame.blockMax
	window := d.frame.window
	hist := &d.history
	const tableMask = 1<<maxSeqTableLog - 1
	op, lp := 0, 0
	for remaining := count; remaining > 0; remaining-- {
		value, pos, consumed = refillBits(in, value, pos, consumed)
		if pos == 0 && consumed > 64 {
			return 0, errSequenceStreamOverread
		}
		llEntry, mlEntry, ofEntry := llTable[llState&tableMask], mlTable[mlState&tableMask], ofTable[ofState&tableMask]
		ofBits, mlBits, llBits := ofEntry.extraBits(), mlEntry.extraBits(), llEntry.extraBits()

		offsetValue := ofEntry.value(peekBits(value, consumed, ofBits))
		consumed += uint(ofBits)
		ml := mlEntry.value(peekBits(value, consumed, mlBits))
		consumed += uint(mlBits)
		if ofBits+mlBits+llBits > 30 {
			// Long offsets: the state updates below might not fit.
			value, pos, consumed = refillBits(in, value, pos, consumed)
		}
		ll := llEntry.value(peekBits(value, consumed, llBits))
		consumed += uint(llBits)

		var offset int
		if ofBits > 1 {
			offset = offsetValue
			rep0, rep1, rep2 = offset, rep0, rep1
		} else {
			offset, rep0, rep1, rep2 = repeatOffset(offsetValue, ll, rep0, rep1, rep2)
		}

		if remaining > 1 {
			llN, mlN, ofN := llEntry.stateBits(), mlEntry.stateBits(), ofEntry.stateBits()
			bits := peekBits(value, consumed, llN+mlN+ofN)
			consumed += uint(llN + mlN + ofN)
			ofState = ofEntry.nextBase() + bits&(1<<ofN-1)
			mlState = mlEntry.nextBase() + bits>>ofN&(1<<mlN-1)
			llState = llEntry.nextBase() + bits>>(ofN+mlN)
		}

		if ll > len(lits)-lp {
			return 0, errLiteralsOverrun
		}
		end := op + ll + ml
		if end > blockMax {
			return 0, fmt.Errorf("sequences produce more than the block maximum of %d bytes", blockMax)
		}
		if ll <= 16 {
			*(*[16]byte)(out[op : op+16]) = *(*[16]byte)(lits[lp : lp+16])
		} else if ll <= 32 {
			*(*[32]byte)(out[op : op+32]) = *(*[32]byte)(lits[lp : lp+32])
		} else {
			copy(out[op:op+ll], lits[lp:lp+ll])
		}
		op += ll
		lp += ll

		switch back := offset - op; {
		case back <= 0:
			copyMatch(out, op, offset, ml)
		case ml <= 16 && ml <= back && back <= hist.filled && int64(offset) <= window:
			// A short match entirely in the in-memory ring: copy it here
			// when it does not cross the end of a ring chunk.
			idx := hist.head - back
			if idx < 0 {
				idx += hist.ringSize
			}
			chunk := hist.chunks[idx>>ringChunkShift]
			if o := idx & ringChunkMask; o+16 <= len(chunk) {
				*(*[16]byte)(out[op : op+16]) = *(*[16]byte)(chunk[o : o+16])
				break
			}
			fallthrough
		default:
			if err := d.copyMatchFromHistory(out, op, offset, ml); err != nil {
				return 0, err
			}
		}
		op = end
	}
	br.value, br.pos, br.consumed = value, pos, consumed
	if !br.finished() {
		if br.overread() {
			return 0, errSequenceStreamOverread
		}
		return 0, errSequenceStreamEnd
	}
	t.repeats = [3]int{rep0, rep1, rep2}
	rest := len(lits) - lp
	if op+rest > blockMax {
		return 0, fmt.Errorf("block output exceeds the block maximum of %d bytes", blockMax)
	}
	copy(out[op:], lits[lp:])
	return op + rest, nil
}

// peekBits returns the n bits of a backward stream's word value that follow
// the consumed ones (see backwardBits.peek).
func peekBits(value uint64, consumed uint, n uint8) uint64 {
	return value << (consumed & 63) >> 1 >> ((63 - n) & 63)
}

// refillBits is backwardBits.refill on its fields held in locals.
func refillBits(in []byte, value uint64, pos int, consumed uint) (uint64, int, uint) {
	if pos >= 8 {
		pos -= int(consumed >> 3)
		return binary.LittleEndian.Uint64(in[pos:]), pos, consumed & 7
	}
	return refillNearStart(in, value, pos, consumed)
}

// repeatOffset resolves an Offset_Value of 1 to 3, which names one of the
// repeat offsets (shifted by one when the literal length is 0), and returns
// the offset with the updated repeat offsets.
func repeatOffset(offsetValue, ll, rep0, rep1, rep2 int) (offset, r0, r1, r2 int) {
	if ll == 0 {
		offsetValue++
	}
	switch offsetValue {
	case 1:
		return rep0, rep0, rep1, rep2
	case 2:
		return rep1, rep1, rep0, rep2
	case 3:
		return rep2, rep2, rep0, rep1
	}
	// Repeat offset 1 minus one. A result of 0 is invalid; like
	// klauspost/compress, treat it as 1.
	offset = max(rep0-1, 1)
	return offset, offset, rep0, rep1
}

// copyMatch copies ml bytes from offset bytes back in out to out[op:],
// where the source may overlap the destination. out must have 32 bytes of
// room past op+ml.
func copyMatch(out []byte, op, offset, ml int) {
	src := op - offset
	switch {
	case offset >= 16 && ml <= 16:
		*(*[16]byte)(out[op : op+16]) = *(*[16]byte)(out[src : src+16])
	case offset >= ml:
		copy(out[op:op+ml], out[src:src+ml])
	case offset >= 16:
		for k := 0; k < ml; k += 16 {
			*(*[16]byte)(out[op+k : op+k+16]) = *(*[16]byte)(out[src+k : src+k+16])
		}
	case offset >= 8:
		for k := 0; k < ml; k += 8 {
			*(*[8]byte)(out[op+k : op+k+8]) = *(*[8]byte)(out[src+k : src+k+8])
		}
	default:
		repeatPattern(out, src, op, op+ml)
	}
}

// repeatPattern fills out[op:end] with out[src:op] repeated, doubling the
// copied span each step.
func repeatPattern(out []byte, src, op, end int) {
	for op < end {
		op += copy(out[op:end], out[src:op])
	}
}

// copyMatchFromHistory copies a match whose source starts before the
// block: from the in-memory ring or the history file, then, for a match that
// runs into the block, from the block itself.
func (d *Reader) copyMatchFromHistory(out []byte, op, offset, ml int) error {
	back := int64(offset - op)
	if int64(offset) > d.frame.window {
		return fmt.Errorf("match offset %d exceeds the window of %d bytes", offset, d.frame.window)
	}
	if back > d.history.total {
		return fmt.Errorf("match offset %d reaches before the start of the frame", offset)
	}
	fromHistory := int(min(int64(ml), back))
	if err := d.history.copyOut(out[op:op+fromHistory], back); err != nil {
		return err
	}
	op += fromHistory
	if rest := ml - fromHistory; rest > 0 {
		repeatPattern(out, op-offset, op, op+rest)
	}
	return nil
}
