package reddit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/prefstream/prefstream/internal/longzstd"
)

// zstdMagic starts every zstd frame.
const zstdMagic = "\x28\xb5\x2f\xfd"

// MaxWindow is the largest zstd window the monthly dumps declare (2 GiB). The decoder keeps
// the last longzstd.DefaultMemoryHistory bytes of output in memory and the rest of the window in
// a temporary file (in $TMPDIR), so memory does not grow with the month.
const MaxWindow = 1 << 31

// DecoderMemory is about what decoding a .zst holds in memory, whatever its window and size.
const DecoderMemory = longzstd.DefaultMemoryHistory + 2<<20

var errClosed = errors.New("reddit: reader is closed")

// Reader reads the records of one dump file in order. Its methods are not
// safe for concurrent use.
type Reader struct {
	name  string
	start int64
	hint  Kind
	src   io.Reader
	close func() error

	order chan chan *batch // one future per chunk, in input order
	work  chan *chunk
	done  chan struct{}
	wg    sync.WaitGroup

	cur    *batch
	next   int // index into cur.items
	offset int64
	err    error // sticky: io.EOF, a *ReadError or errClosed
}

// Open opens a dump file: zstd-compressed (RC_/RS_ .zst) or plain NDJSON.
func Open(path string) (*Reader, error) { return OpenAt(path, 0) }

// OpenAt opens a dump file and skips to offset, an uncompressed offset
// returned by Offset, to resume reading there.
func OpenAt(path string, offset int64) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reddit: %w", err)
	}
	src, closeSrc, err := decompress(f, path, offset)
	if err != nil {
		f.Close()
		return nil, err
	}
	r := NewReader(src, path, offset, 0)
	r.close = func() error { return errors.Join(closeSrc(), f.Close()) }
	return r, nil
}

// decompress returns f's uncompressed content from offset on.
func decompress(f *os.File, path string, offset int64) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(f, 256<<10)
	magic, _ := br.Peek(len(zstdMagic))
	if string(magic) != zstdMagic {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, nil, &ReadError{File: path, Offset: offset, Err: err}
		}
		br.Reset(f)
		return br, func() error { return nil }, nil
	}
	dec, err := longzstd.NewReader(br, longzstd.Options{MaxWindow: MaxWindow})
	if err != nil {
		return nil, nil, &ReadError{File: path, Err: err}
	}
	if n, err := io.CopyN(io.Discard, dec, offset); err != nil {
		dec.Close()
		if err == io.EOF {
			err = fmt.Errorf("resume offset %d is past the end: %w", offset, io.ErrUnexpectedEOF)
		}
		return nil, nil, &ReadError{File: path, Offset: n, Err: err}
	}
	return dec, dec.Close, nil
}

// NewReader reads NDJSON from r, which is positioned at startOffset: 0, or a
// value of Offset to resume from. name is used in errors and, when it starts
// RC_ or RS_, tells the kind of lines whose keys do not. workers <= 0 means
// GOMAXPROCS. Close stops the reader (it does not close r) and waits for a
// Read in progress to return.
func NewReader(r io.Reader, name string, startOffset int64, workers int) *Reader {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rd := &Reader{
		name:   name,
		start:  startOffset,
		hint:   kindOfName(name),
		src:    r,
		order:  make(chan chan *batch, 2*workers+2),
		work:   make(chan *chunk, workers),
		done:   make(chan struct{}),
		offset: startOffset,
	}
	rd.wg.Add(1 + workers)
	go rd.split()
	for range workers {
		go rd.parse()
	}
	return rd
}

// Next returns the next record. It returns io.EOF at the end of the input, a
// *RowError for a line that cannot be parsed (the next call reads on), and a
// *ReadError when the input cannot be read further (fatal).
func (r *Reader) Next() (Record, error) {
	for {
		if r.cur != nil && r.next < len(r.cur.items) {
			it := &r.cur.items[r.next]
			r.next++
			r.offset = it.end
			if it.err != nil {
				return Record{}, it.err
			}
			return it.rec, nil
		}
		if r.cur != nil {
			r.err = r.cur.err
			putBatch(r.cur)
			r.cur = nil
		}
		if r.err != nil {
			return Record{}, r.err
		}
		future, ok := <-r.order
		if !ok {
			r.err = io.EOF
			continue
		}
		r.cur, r.next = <-future, 0
	}
}

// Offset is the uncompressed byte offset just after the line of the last
// record or *RowError returned: where OpenAt or NewReader resume.
func (r *Reader) Offset() int64 { return r.offset }

// Close stops the reader's goroutines and closes the file it opened.
func (r *Reader) Close() error {
	if r.err == errClosed {
		return nil
	}
	close(r.done)
	r.wg.Wait()
	r.err = errClosed
	if r.cur != nil {
		putBatch(r.cur)
		r.cur = nil
	}
	if r.close != nil {
		if err := r.close(); err != nil {
			return fmt.Errorf("reddit: closing %s: %w", r.name, err)
		}
	}
	return nil
}

// parse is a worker: it parses chunks into batches.
func (r *Reader) parse() {
	defer r.wg.Done()
	var p lineParser
	for c := range r.work {
		c.out <- r.parseChunk(&p, c)
		putBuf(c.buf)
	}
}

func (r *Reader) parseChunk(p *lineParser, c *chunk) *batch {
	b := getBatch()
	data, offset, line := c.data, c.base, c.firstLine
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 {
			n = len(data)
		}
		if raw := data[:n]; !blank(raw) {
			b.items = append(b.items, r.parseLine(p, raw, offset, line))
		}
		data, offset, line = data[n:], offset+int64(n), line+1
	}
	return b
}

func (r *Reader) parseLine(p *lineParser, raw []byte, offset, line int64) item {
	end := offset + int64(len(raw))
	rec, err := p.parse(raw, r.hint)
	if err != nil {
		return item{end: end, err: &RowError{
			File: r.name, Line: line, Offset: offset, Reason: err.Error(), Row: clipRow(bytes.TrimRight(raw, "\r\n")),
		}}
	}
	rec.Offset = offset
	return item{rec: rec, end: end}
}
