package longzstd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frames (RFC 8878 section 3.1).

const (
	frameMagic         = 0xFD2FB528
	skippableMagicMask = 0xFFFFFFF0
	skippableMagic     = 0x184D2A50
	minWindow          = 1 << 10
	maxBlockSize       = 128 << 10
	contentSizeUnknown = -1
)

// frameHeader is a parsed Frame_Header.
type frameHeader struct {
	size          int   // bytes, magic included
	window        int64 // Window_Size
	contentSize   int64 // Frame_Content_Size, or contentSizeUnknown
	checksum      bool
	singleSegment bool
	dictionaryID  uint32
}

var errReservedFrameBit = errors.New("reserved bit of the frame header descriptor is set")

// frameHeaderSize returns the size of a frame header, magic included, from
// its descriptor byte.
func frameHeaderSize(descriptor byte) int {
	size := 5
	if descriptor&(1<<5) == 0 {
		size++
	}
	size += [4]int{0, 1, 2, 4}[descriptor&3]
	switch descriptor >> 6 {
	case 0:
		if descriptor&(1<<5) != 0 {
			size++
		}
	case 1:
		size += 2
	case 2:
		size += 4
	case 3:
		size += 8
	}
	return size
}

// parseFrameHeader parses a whole frame header, magic included.
func parseFrameHeader(b []byte) (frameHeader, error) {
	descriptor := b[4]
	h := frameHeader{
		size:          frameHeaderSize(descriptor),
		checksum:      descriptor&(1<<2) != 0,
		singleSegment: descriptor&(1<<5) != 0,
		contentSize:   contentSizeUnknown,
	}
	if descriptor&(1<<3) != 0 {
		return h, errReservedFrameBit
	}
	p := b[5:h.size]
	if !h.singleSegment {
		exponent, mantissa := p[0]>>3, p[0]&7
		base := int64(1) << (10 + exponent)
		h.window = base + base/8*int64(mantissa)
		p = p[1:]
	}
	switch descriptor & 3 {
	case 1:
		h.dictionaryID = uint32(p[0])
		p = p[1:]
	case 2:
		h.dictionaryID = uint32(binary.LittleEndian.Uint16(p))
		p = p[2:]
	case 3:
		h.dictionaryID = binary.LittleEndian.Uint32(p)
		p = p[4:]
	}
	switch len(p) {
	case 1:
		h.contentSize = int64(p[0])
	case 2:
		h.contentSize = int64(binary.LittleEndian.Uint16(p)) + 256
	case 4:
		h.contentSize = int64(binary.LittleEndian.Uint32(p))
	case 8:
		size := binary.LittleEndian.Uint64(p)
		if size > 1<<62 {
			return h, fmt.Errorf("frame content size %d is not supported", size)
		}
		h.contentSize = int64(size)
	}
	if h.singleSegment {
		h.window = max(h.contentSize, minWindow)
	}
	return h, nil
}

// frameState is what the decoder keeps about the frame being decoded.
type frameState struct {
	start       int64 // compressed offset of the frame
	window      int64
	blockMax    int
	contentSize int64
	produced    int64
	checksum    bool
}

// startFrame reads the next frame header, skipping skippable frames. It
// returns io.EOF when the input ends cleanly before a frame.
func (d *Reader) startFrame() error {
	for {
		start := d.in.offset
		magic, err := d.in.peek(4)
		if err != nil {
			if len(magic) == 0 && errors.Is(err, io.ErrUnexpectedEOF) {
				return io.EOF
			}
			return frameError(start, fmt.Errorf("reading frame magic: %w", err))
		}
		m := binary.LittleEndian.Uint32(magic)
		if m&skippableMagicMask == skippableMagic {
			if err := d.skipFrame(); err != nil {
				return frameError(start, err)
			}
			continue
		}
		if m != frameMagic {
			return frameError(start, fmt.Errorf("not a zstd frame (magic number %#08x)", m))
		}
		if err := d.readFrameHeader(); err != nil {
			return frameError(start, err)
		}
		return nil
	}
}

// skipFrame skips a skippable frame.
func (d *Reader) skipFrame() error {
	header, err := d.in.peek(8)
	if err != nil {
		return fmt.Errorf("reading skippable frame header: %w", err)
	}
	size := int64(binary.LittleEndian.Uint32(header[4:]))
	d.in.discard(8)
	if err := d.in.skip(size); err != nil {
		return fmt.Errorf("skipping %d bytes of skippable frame: %w", size, err)
	}
	return nil
}

func (d *Reader) readFrameHeader() error {
	b, err := d.in.peek(5)
	if err != nil {
		return fmt.Errorf("reading frame header: %w", err)
	}
	b, err = d.in.peek(frameHeaderSize(b[4]))
	if err != nil {
		return fmt.Errorf("reading frame header: %w", err)
	}
	h, err := parseFrameHeader(b)
	if err != nil {
		return err
	}
	if h.dictionaryID != 0 {
		return fmt.Errorf("frame uses dictionary %d: dictionaries are not supported", h.dictionaryID)
	}
	if h.window > d.opts.MaxWindow {
		return fmt.Errorf("frame window of %d bytes exceeds MaxWindow of %d bytes", h.window, d.opts.MaxWindow)
	}
	start := d.in.offset
	d.in.discard(h.size)
	d.beginFrame(start, h)
	return nil
}

// beginFrame resets the per-frame state for a frame with header h.
func (d *Reader) beginFrame(start int64, h frameHeader) {
	d.frame = frameState{
		start:       start,
		window:      h.window,
		blockMax:    int(min(h.window, maxBlockSize)),
		contentSize: h.contentSize,
		checksum:    h.checksum,
	}
	keep := h.window
	if h.contentSize != contentSizeUnknown {
		keep = min(keep, h.contentSize)
	}
	d.history.reset(h.window, keep, d.opts.MemoryHistory)
	d.haveHuffman = false
	d.sequences.reset()
	d.hash.Reset()
	d.inFrame = true
}

// endFrame checks the frame's size and checksum after its last block.
func (d *Reader) endFrame() error {
	d.inFrame = false
	f := &d.frame
	if f.contentSize != contentSizeUnknown && f.produced != f.contentSize {
		return frameError(f.start, fmt.Errorf("frame decodes to %d bytes, but its header says %d", f.produced, f.contentSize))
	}
	if !f.checksum {
		return nil
	}
	at := d.in.offset
	b, err := d.in.peek(4)
	if err != nil {
		return frameError(f.start, fmt.Errorf("reading content checksum at compressed offset %d: %w", at, err))
	}
	want := binary.LittleEndian.Uint32(b)
	d.in.discard(4)
	if got := uint32(d.hash.Sum64()); got != want {
		return frameError(f.start, fmt.Errorf("content checksum mismatch: frame says %08x, content hashes to %08x", want, got))
	}
	return nil
}

func frameError(offset int64, err error) error {
	return fmt.Errorf("longzstd: frame at compressed offset %d: %w", offset, err)
}

func blockError(offset int64, err error) error {
	return fmt.Errorf("longzstd: block at compressed offset %d: %w", offset, err)
}
