package longzstd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// history is the decoded output of the current frame that later matches may
// copy from. The most recent part lives in an in-memory ring; when the
// frame's window is larger than the ring, older output up to the window
// lives in a temporary file, at its stream position modulo the window.
//
// The ring is made of chunks allocated as output arrives, so a small frame
// costs little memory and a large one never copies its ring to grow it.
type history struct {
	chunks   [][]byte // ring storage: chunk c holds ring indexes from c<<ringChunkShift
	filled   int      // ring indexes below filled hold data
	ringSize int      // stream position p lives at ring index p%ringSize
	head     int      // ring index of the next committed byte
	total    int64    // bytes committed in this frame
	window   int64
	useFile  bool

	tempDir    string
	file       *os.File
	fileName   string // set while the file still has a name to remove
	onDisk     int64  // stream positions below onDisk are in the file (those still in the window)
	cache      farCache
	fileWrites int64 // bytes written to the file, for tests
	filesMade  int   // files created, for tests
}

const (
	ringChunkShift = 20
	ringChunkSize  = 1 << ringChunkShift
	ringChunkMask  = ringChunkSize - 1
	// firstChunkMin is where the first chunk starts before it grows to a
	// full chunk, so that tiny frames stay tiny.
	firstChunkMin = 64 << 10
	// spillBatch is the least amount written to the file at a time.
	spillBatch = 1 << 20
)

// ringChunks recycles full-size ring chunks between Readers, sparing the
// allocation and zeroing of the ring for every stream.
var ringChunks sync.Pool

// reset prepares for a frame with the given window, which needs at most
// keep bytes of history, memoryLimit of them in RAM.
func (h *history) reset(window, keep int64, memoryLimit int) {
	h.window = window
	h.ringSize = int(max(min(keep, int64(memoryLimit)), 1))
	h.useFile = keep > int64(h.ringSize)
	for c, ch := range h.chunks {
		// A chunk never reaches past the ring, so that reads wrap at its end.
		h.chunks[c] = ch[:min(len(ch), max(h.ringSize-c<<ringChunkShift, 0))]
	}
	h.filled = 0
	h.head = 0
	h.total = 0
	h.onDisk = 0
	h.cache.invalidateAll()
}

// commit appends a block's output to the history.
func (h *history) commit(b []byte) error {
	for len(b) > 0 {
		n := min(len(b), h.ringSize-h.head)
		if h.useFile && h.filled == h.ringSize {
			if err := h.spillThrough(h.total + int64(n) - int64(h.ringSize)); err != nil {
				return err
			}
		}
		h.writeRing(h.head, b[:n])
		h.head += n
		h.filled = max(h.filled, h.head)
		if h.head == h.ringSize {
			h.head = 0
		}
		h.total += int64(n)
		b = b[n:]
	}
	return nil
}

// writeRing copies b to the ring from index idx; idx+len(b) <= ringSize.
func (h *history) writeRing(idx int, b []byte) {
	for len(b) > 0 {
		c, o := idx>>ringChunkShift, idx&ringChunkMask
		n := copy(h.chunkFor(c, o+len(b))[o:], b)
		idx += n
		b = b[n:]
	}
}

// chunkFor returns chunk c, allocating or growing it so that it holds at
// least need bytes (or all of its part of the ring).
func (h *history) chunkFor(c, need int) []byte {
	for len(h.chunks) <= c {
		h.chunks = append(h.chunks, nil)
	}
	ch := h.chunks[c]
	full := min(ringChunkSize, h.ringSize-c<<ringChunkShift)
	if len(ch) >= min(need, full) {
		return ch
	}
	if cap(ch) >= full {
		h.chunks[c] = ch[:full]
		return h.chunks[c]
	}
	if c == 0 && len(ch) == 0 && full == ringChunkSize {
		if p, ok := ringChunks.Get().(*[]byte); ok {
			h.chunks[0] = *p
			return *p
		}
	}
	if c == 0 && full > firstChunkMin && len(ch) < full {
		// Let the first chunk grow geometrically.
		size := min(full, max(need, 2*len(ch), firstChunkMin))
		if size < full {
			grown := make([]byte, size)
			copy(grown, ch)
			h.chunks[0] = grown
			return grown
		}
	}
	grown := newRingChunk(full)
	copy(grown, ch)
	h.chunks[c] = grown
	return grown
}

func newRingChunk(size int) []byte {
	if size == ringChunkSize {
		if p, ok := ringChunks.Get().(*[]byte); ok {
			return *p
		}
	}
	return make([]byte, size)
}

// readRing fills dst from the ring starting at index idx, wrapping at
// ringSize.
func (h *history) readRing(dst []byte, idx int) {
	for len(dst) > 0 {
		if idx >= h.ringSize {
			idx -= h.ringSize
		}
		n := copy(dst, h.chunks[idx>>ringChunkShift][idx&ringChunkMask:])
		dst = dst[n:]
		idx += n
	}
}

// copyOut fills dst with history starting back bytes before its end;
// back >= len(dst) and back <= min(total, window).
func (h *history) copyOut(dst []byte, back int64) error {
	if inRing := int64(h.filled); back > inRing {
		n := min(int64(len(dst)), back-inRing)
		if err := h.readFile(dst[:n], h.total-back); err != nil {
			return err
		}
		dst = dst[n:]
		back -= n
		if len(dst) == 0 {
			return nil
		}
	}
	idx := h.head - int(back)
	if idx < 0 {
		idx += h.ringSize
	}
	if ch := h.chunks[idx>>ringChunkShift]; idx&ringChunkMask+len(dst) <= len(ch) {
		copy(dst, ch[idx&ringChunkMask:])
		return nil
	}
	h.readRing(dst, idx)
	return nil
}

// spillThrough makes sure every stream position below target is in the
// file, writing at least spillBatch bytes when it writes at all.
func (h *history) spillThrough(target int64) error {
	if h.onDisk >= target {
		return nil
	}
	end := min(h.total, max(target, h.onDisk+spillBatch))
	if h.file == nil {
		if err := h.createFile(); err != nil {
			return err
		}
	}
	for pos := h.onDisk; pos < end; {
		ringIdx := int(pos % int64(h.ringSize))
		fileOff := pos % h.window
		chunk := h.chunks[ringIdx>>ringChunkShift][ringIdx&ringChunkMask:]
		n := int(min(end-pos, int64(h.ringSize-ringIdx), h.window-fileOff, int64(len(chunk))))
		if _, err := h.file.WriteAt(chunk[:n], fileOff); err != nil {
			return fmt.Errorf("writing history file: %w", err)
		}
		h.cache.invalidate(fileOff, int64(n))
		h.fileWrites += int64(n)
		pos += int64(n)
	}
	h.onDisk = end
	return nil
}

func (h *history) createFile() error {
	f, err := os.CreateTemp(h.tempDir, "longzstd-history-*")
	if err != nil {
		return fmt.Errorf("creating history file: %w", err)
	}
	h.file = f
	h.fileName = f.Name()
	h.filesMade++
	if runtime.GOOS != "windows" {
		// The open descriptor keeps the data; without a name the file
		// cannot outlive the process.
		if os.Remove(h.fileName) == nil {
			h.fileName = ""
		}
	}
	return nil
}

var errHistoryFileShort = errors.New("history file is shorter than the data written to it")

// readFile fills dst from the file with the stream bytes starting at pos.
func (h *history) readFile(dst []byte, pos int64) error {
	for len(dst) > 0 {
		fileOff := pos % h.window
		chunk, err := h.cache.chunk(h.file, fileOff)
		if err != nil {
			return fmt.Errorf("reading history file: %w", err)
		}
		within := int(fileOff - chunk.off)
		if within >= len(chunk.data) {
			return errHistoryFileShort
		}
		// The file may be longer than this frame's window (an earlier frame
		// had a larger one): wrap at the window.
		n := copy(dst[:min(int64(len(dst)), h.window-fileOff)], chunk.data[within:])
		dst = dst[n:]
		pos += int64(n)
	}
	return nil
}

// closeFile closes and removes the history file, if any.
func (h *history) closeFile() error {
	if h.file == nil {
		return nil
	}
	err := h.file.Close()
	if h.fileName != "" {
		if rerr := os.Remove(h.fileName); rerr != nil && err == nil {
			err = rerr
		}
		h.fileName = ""
	}
	h.file = nil
	h.cache.invalidateAll()
	return err
}

// release frees the memory and the file.
func (h *history) release() error {
	err := h.closeFile()
	for _, ch := range h.chunks {
		if cap(ch) == ringChunkSize {
			ch = ch[:ringChunkSize]
			ringChunks.Put(&ch)
		}
	}
	h.chunks = nil
	h.cache = farCache{}
	return err
}

// farCache keeps a few recently read chunks of the history file, since far
// matches tend to come in runs from the same region.
type farCache struct {
	slots [farCacheSlots]farChunk
	next  int
}

const (
	farCacheSlots = 8
	farChunkSize  = 64 << 10
)

type farChunk struct {
	off   int64 // file offset of data[0], a multiple of farChunkSize
	data  []byte
	valid bool
}

// chunk returns the cached chunk that holds file offset off, reading it
// when it is not cached.
func (c *farCache) chunk(f *os.File, off int64) (*farChunk, error) {
	start := off - off%farChunkSize
	for i := range c.slots {
		if s := &c.slots[i]; s.valid && s.off == start {
			return s, nil
		}
	}
	s := &c.slots[c.next]
	c.next = (c.next + 1) % farCacheSlots
	if s.data == nil {
		s.data = make([]byte, farChunkSize)
	}
	s.data = s.data[:farChunkSize]
	n, err := f.ReadAt(s.data, start)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		s.valid = false
		return nil, err
	}
	s.data = s.data[:n]
	s.off = start
	s.valid = true
	return s, nil
}

// invalidate drops cached chunks that overlap file bytes [off, off+n).
func (c *farCache) invalidate(off, n int64) {
	for i := range c.slots {
		s := &c.slots[i]
		if s.valid && s.off < off+n && off < s.off+farChunkSize {
			s.valid = false
		}
	}
}

func (c *farCache) invalidateAll() {
	for i := range c.slots {
		c.slots[i].valid = false
	}
}
