package longzstd

import (
	"errors"
	"fmt"
)

// Blocks (RFC 8878 section 3.1.1.2).

const (
	blockRaw        = 0
	blockRLE        = 1
	blockCompressed = 2
	blockReserved   = 3

	blockHeaderSize = 3
)

var errCompressedBlockTooSmall = errors.New("compressed block is smaller than 2 bytes")

// decodeBlock decodes the next block of the frame into d.out, adds it to
// the history and makes it pending for the reader.
func (d *Reader) decodeBlock() error {
	start := d.in.offset
	header, err := d.in.peek(blockHeaderSize)
	if err != nil {
		return blockError(start, fmt.Errorf("reading block header: %w", err))
	}
	h := uint32(header[0]) | uint32(header[1])<<8 | uint32(header[2])<<16
	last := h&1 != 0
	kind := (h >> 1) & 3
	size := int(h >> 3)
	n, err := d.decodeBlockBody(kind, size, d.out)
	if err != nil {
		return blockError(start, err)
	}
	if err := d.deliverBlock(d.out[:n]); err != nil {
		return blockError(start, err)
	}
	if last {
		return d.endFrame()
	}
	return nil
}

// decodeBlockBody decodes a block's content into out, which has room for
// a block and wideCopySlack, and consumes the block from the input.
func (d *Reader) decodeBlockBody(kind uint32, size int, out []byte) (int, error) {
	if kind == blockReserved {
		return 0, errors.New("reserved block type")
	}
	if size > d.frame.blockMax {
		return 0, fmt.Errorf("block size %d exceeds the block maximum of %d bytes", size, d.frame.blockMax)
	}
	stored := size
	if kind == blockRLE {
		stored = 1
	}
	body, err := d.in.peek(blockHeaderSize + stored)
	if err != nil {
		return 0, fmt.Errorf("reading %d-byte block: %w", stored, err)
	}
	body = body[blockHeaderSize:]
	var n int
	switch kind {
	case blockRaw:
		n = copy(out, body)
	case blockRLE:
		fill(out[:size], body[0])
		n = size
	case blockCompressed:
		if size < 2 {
			return 0, errCompressedBlockTooSmall
		}
		lits, rest, err := d.decodeLiterals(body)
		if err != nil {
			return 0, err
		}
		if n, err = d.decodeSequences(rest, lits, out); err != nil {
			return 0, err
		}
	}
	d.in.discard(blockHeaderSize + stored)
	return n, nil
}

// deliverBlock accounts for a decoded block: content size, checksum,
// history, and the reader's pending output.
func (d *Reader) deliverBlock(b []byte) error {
	f := &d.frame
	f.produced += int64(len(b))
	if f.contentSize != contentSizeUnknown && f.produced > f.contentSize {
		return fmt.Errorf("frame output exceeds its declared content size of %d bytes", f.contentSize)
	}
	if f.checksum {
		d.hash.Write(b)
	}
	if err := d.history.commit(b); err != nil {
		return err
	}
	d.pending = b
	return nil
}
