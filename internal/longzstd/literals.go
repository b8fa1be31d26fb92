package longzstd

import (
	"errors"
	"fmt"
)

// The literals section of a compressed block (RFC 8878 section 3.1.1.3.1).

const (
	literalsRaw        = 0
	literalsRLE        = 1
	literalsCompressed = 2
	literalsTreeless   = 3
)

var (
	errLiteralsHeaderTruncated = errors.New("literals section header runs past the block")
	errLiteralsTruncated       = errors.New("literals run past the block")
	errTreelessWithoutTable    = errors.New("treeless literals but no Huffman table earlier in the frame")
)

// literalsHeader is the parsed Literals_Section_Header.
type literalsHeader struct {
	kind        int
	regenerated int
	compressed  int
	fourStreams bool
	headerSize  int
}

func parseLiteralsHeader(in []byte) (literalsHeader, error) {
	if len(in) == 0 {
		return literalsHeader{}, errLiteralsHeaderTruncated
	}
	h := literalsHeader{kind: int(in[0] & 3)}
	sizeFormat := (in[0] >> 2) & 3
	if h.kind == literalsRaw || h.kind == literalsRLE {
		switch sizeFormat {
		case 0, 2:
			h.headerSize = 1
			h.regenerated = int(in[0] >> 3)
		case 1:
			h.headerSize = 2
			if len(in) < 2 {
				return h, errLiteralsHeaderTruncated
			}
			h.regenerated = int(in[0]>>4) | int(in[1])<<4
		case 3:
			h.headerSize = 3
			if len(in) < 3 {
				return h, errLiteralsHeaderTruncated
			}
			h.regenerated = int(in[0]>>4) | int(in[1])<<4 | int(in[2])<<12
		}
		return h, nil
	}
	sizeBits := [4]int{10, 10, 14, 18}[sizeFormat]
	h.headerSize = [4]int{3, 3, 4, 5}[sizeFormat]
	h.fourStreams = sizeFormat != 0
	if len(in) < h.headerSize {
		return h, errLiteralsHeaderTruncated
	}
	var v uint64
	for i := h.headerSize - 1; i >= 0; i-- {
		v = v<<8 | uint64(in[i])
	}
	v >>= 4
	h.regenerated = int(v & (1<<sizeBits - 1))
	h.compressed = int(v >> sizeBits)
	return h, nil
}

// decodeLiterals decodes the literals section at the start of in into
// d.literals (which keeps spare room after the literals for wide copies) and
// returns the literals and the rest of the block.
func (d *Reader) decodeLiterals(in []byte) (lits, rest []byte, err error) {
	h, err := parseLiteralsHeader(in)
	if err != nil {
		return nil, nil, err
	}
	if h.regenerated > d.frame.blockMax {
		return nil, nil, fmt.Errorf("literals section regenerates %d bytes, more than the block maximum %d", h.regenerated, d.frame.blockMax)
	}
	in = in[h.headerSize:]
	lits = d.literals[:h.regenerated]
	switch h.kind {
	case literalsRaw:
		if len(in) < h.regenerated {
			return nil, nil, errLiteralsTruncated
		}
		copy(lits, in)
		return lits, in[h.regenerated:], nil
	case literalsRLE:
		if len(in) < 1 {
			return nil, nil, errLiteralsTruncated
		}
		fill(lits, in[0])
		return lits, in[1:], nil
	}
	if len(in) < h.compressed {
		return nil, nil, errLiteralsTruncated
	}
	payload := in[:h.compressed]
	rest = in[h.compressed:]
	if h.kind == literalsCompressed {
		used, err := d.huffman.read(payload)
		if err != nil {
			d.haveHuffman = false
			return nil, nil, err
		}
		d.haveHuffman = true
		payload = payload[used:]
	} else if !d.haveHuffman {
		return nil, nil, errTreelessWithoutTable
	}
	if h.fourStreams {
		err = d.huffman.decode4(lits, payload)
	} else {
		err = d.huffman.decode1(lits, payload)
	}
	if err != nil {
		return nil, nil, err
	}
	return lits, rest, nil
}

// fill sets every byte of b to v.
func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for filled := 1; filled < len(b); filled *= 2 {
		copy(b[filled:], b[:filled])
	}
}
