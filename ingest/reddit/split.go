package reddit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

const (
	// chunkBytes is about how much input one chunk of lines holds.
	chunkBytes = 1 << 20
	// maxLineBytes caps a line; longer lines are skipped as a *RowError.
	maxLineBytes = 8 << 20
)

// errStopped tells the splitter that Close was called.
var errStopped = errors.New("reddit: stopped")

// chunk is a run of whole lines for a worker to parse.
type chunk struct {
	buf       *[]byte // pooled backing array of data
	data      []byte
	base      int64 // offset of data[0]
	firstLine int64 // line number of data[0]
	out       chan *batch
}

// batch is what a chunk parses to: records and row errors in line order,
// then, at the end of the input, the terminal error.
type batch struct {
	items []item
	err   error // io.EOF or *ReadError, after the items
}

type item struct {
	rec Record
	err error // a *RowError instead of a record
	end int64 // offset just after the line
}

var (
	bufPool   = sync.Pool{New: func() any { b := make([]byte, 0, chunkBytes); return &b }}
	batchPool = sync.Pool{New: func() any { return new(batch) }}
)

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) == chunkBytes {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

func getBatch() *batch { return batchPool.Get().(*batch) }

func putBatch(b *batch) {
	clear(b.items)
	b.items, b.err = b.items[:0], nil
	batchPool.Put(b)
}

// split reads the input, cuts it into chunks of whole lines and queues each
// for a worker, and its future in order for Next.
func (r *Reader) split() {
	defer r.wg.Done()
	defer close(r.order)
	defer close(r.work)
	s := splitter{Reader: r, buf: getBuf(), base: r.start, line: 1}
	for {
		err := s.fill()
		if err == nil && s.full() && bytes.IndexByte(s.pending(), '\n') < 0 {
			if s.grow() {
				continue
			}
			if err = s.skipLongLine(); err == nil {
				continue
			}
			if err == errStopped {
				return
			}
		}
		cut := bytes.LastIndexByte(s.pending(), '\n') + 1
		if err == io.EOF {
			cut = len(s.pending())
		}
		if !s.emit(cut) {
			return
		}
		if err != nil {
			s.finish(err)
			return
		}
	}
}

// splitter holds the input read but not yet handed to a worker.
type splitter struct {
	*Reader
	buf  *[]byte
	base int64 // offset of (*buf)[0]
	line int64 // line number of (*buf)[0]
}

func (s *splitter) pending() []byte { return *s.buf }

func (s *splitter) full() bool { return len(*s.buf) == cap(*s.buf) }

// fill reads until the buffer is full or the input fails or ends.
func (s *splitter) fill() error {
	b := *s.buf
	for empty := 0; len(b) < cap(b); {
		n, err := s.src.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			*s.buf = b
			return err
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			*s.buf = b
			return io.ErrNoProgress
		}
	}
	*s.buf = b
	return nil
}

// grow doubles a buffer that one unfinished line fills, up to maxLineBytes.
func (s *splitter) grow() bool {
	if cap(*s.buf) >= maxLineBytes {
		return false
	}
	grown := make([]byte, len(*s.buf), min(2*cap(*s.buf), maxLineBytes))
	copy(grown, *s.buf)
	putBuf(s.buf)
	s.buf = &grown
	return true
}

// emit hands the first n pending bytes to a worker, keeping the rest. It
// returns false when the reader is closed.
func (s *splitter) emit(n int) bool {
	rest := getBuf()
	if tail := len(*s.buf) - n; tail > chunkBytes/2 {
		grown := make([]byte, 0, 2*tail)
		rest = &grown
	}
	*rest = append(*rest, (*s.buf)[n:]...)
	data := (*s.buf)[:n]
	c := &chunk{buf: s.buf, data: data, base: s.base, firstLine: s.line, out: make(chan *batch, 1)}
	s.buf, s.base, s.line = rest, s.base+int64(n), s.line+int64(bytes.Count(data, []byte{'\n'}))
	if n == 0 {
		putBuf(c.buf)
		return true
	}
	return s.queue(c.out) && s.send(c)
}

func (s *splitter) queue(future chan *batch) bool {
	select {
	case s.order <- future:
		return true
	case <-s.done:
		return false
	}
}

func (s *splitter) send(c *chunk) bool {
	select {
	case s.work <- c:
		return true
	case <-s.done:
		return false
	}
}

// deliver queues a batch that needs no parsing.
func (s *splitter) deliver(b *batch) bool {
	future := make(chan *batch, 1)
	future <- b
	return s.queue(future)
}

// finish delivers the end of the input: io.EOF, or a *ReadError at the
// offset where reading failed.
func (s *splitter) finish(err error) {
	if err != io.EOF {
		err = &ReadError{File: s.name, Offset: s.base + int64(len(*s.buf)), Err: err}
	}
	putBuf(s.buf)
	b := getBatch()
	b.err = err
	s.deliver(b)
}

// skipLongLine reports the over-long line that fills the buffer as a
// *RowError and discards input up to its end. An error is the input's: the
// line's report is delivered first.
func (s *splitter) skipLongLine() error {
	rowErr := &RowError{
		File: s.name, Line: s.line, Offset: s.base, Row: clipRow(*s.buf),
		Reason: fmt.Sprintf("line longer than %d bytes", maxLineBytes),
	}
	for {
		s.base += int64(len(*s.buf))
		*s.buf = (*s.buf)[:0]
		err := s.fill()
		end := bytes.IndexByte(*s.buf, '\n') + 1
		if end == 0 && err == io.EOF {
			end = len(*s.buf)
		}
		if end > 0 || err != nil {
			b := getBatch()
			b.items = append(b.items, item{err: rowErr, end: s.base + int64(end)})
			if !s.deliver(b) {
				return errStopped
			}
			s.dropLine(end)
			return err
		}
	}
}

// dropLine discards the first n pending bytes, the end of a skipped line,
// and goes back to a chunk-sized buffer.
func (s *splitter) dropLine(n int) {
	rest := getBuf()
	*rest = append(*rest, (*s.buf)[n:]...)
	s.buf, s.base, s.line = rest, s.base+int64(n), s.line+1
}
