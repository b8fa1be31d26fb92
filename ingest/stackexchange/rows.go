package stackexchange

import (
	"errors"
	"runtime"
	"sync"

	"github.com/prefstream/prefstream/schemas"
)

// Rows are handed to the parsing goroutines in chunks of about this many bytes or rows.
const (
	chunkBytes = 256 << 10
	chunkRows  = 512
)

// rowPipeline finds the rows of a dump file on one goroutine and parses them on several
// (parsing a row costs about ten times what finding it does); next returns the parsed chunks
// in file order.
type rowPipeline struct {
	parse func(data []byte, row *chunkRow)
	order chan *rowChunk // every chunk, in file order
	work  chan *rowChunk // chunks to parse
	stop  chan struct{}
	wg    sync.WaitGroup
}

// rowChunk is a run of consecutive rows, parsed once ready is closed.
type rowChunk struct {
	data  []byte
	rows  []chunkRow
	end   error // io.EOF or a *ReadError after the rows; nil when more chunks follow
	ready chan struct{}
}

// chunkRow is one row and what parsing it gave.
type chunkRow struct {
	lo, hi      int   // the row's attribute bytes in data
	offset, end int64 // where the row starts and ends in the file
	err         error // the scanner's *RowError as an *ingest.BadRecord, or parse's verdict
	doc         schemas.Document
	id          int64 // the post id of a post, or the post a vote is for
	upvote      bool
}

func startRows(s *RowScanner, parse func(data []byte, row *chunkRow)) *rowPipeline {
	workers := runtime.GOMAXPROCS(0)
	p := &rowPipeline{parse: parse, order: make(chan *rowChunk, 2*workers+2), work: make(chan *rowChunk, 2*workers+2),
		stop: make(chan struct{})}
	p.wg.Add(1 + workers)
	go p.split(s)
	for range workers {
		go p.parseChunks()
	}
	return p
}

// next returns the next chunk, parsed. The last one has end set; next must not be called after it.
func (p *rowPipeline) next() *rowChunk {
	c := <-p.order
	<-c.ready
	return c
}

// chunks recycles chunks: their row bytes and parsed rows are a few hundred KiB, allocated and
// zeroed again for every chunk otherwise.
var chunks = sync.Pool{New: func() any {
	return &rowChunk{data: make([]byte, 0, chunkBytes+chunkBytes/4), rows: make([]chunkRow, 0, chunkRows)}
}}

// release gives back a chunk next returned, once nothing refers to its rows any more.
func (p *rowPipeline) release(c *rowChunk) {
	clear(c.rows) // documents, errors
	c.data, c.rows, c.end, c.ready = c.data[:0], c.rows[:0], nil, nil
	chunks.Put(c)
}

// close stops the goroutines.
func (p *rowPipeline) close() {
	close(p.stop)
	p.wg.Wait()
}

func (p *rowPipeline) split(s *RowScanner) {
	defer p.wg.Done()
	defer close(p.work)
	for {
		c := chunks.Get().(*rowChunk)
		c.ready = make(chan struct{})
		for c.end == nil && len(c.data) < chunkBytes && len(c.rows) < chunkRows {
			row, err := s.Next()
			var rowErr *RowError
			switch {
			case err == nil:
				lo := len(c.data)
				c.data = append(c.data, row...)
				c.rows = append(c.rows, chunkRow{lo: lo, hi: len(c.data), offset: s.RowOffset(), end: s.Offset()})
			case errors.As(err, &rowErr):
				c.rows = append(c.rows, chunkRow{offset: rowErr.Offset, end: s.Offset(), err: badRecord(rowErr)})
			default:
				c.end = err
			}
		}
		last := c.end != nil // c is not ours once sent
		for _, ch := range []chan *rowChunk{p.order, p.work} {
			select {
			case ch <- c:
			case <-p.stop:
				return
			}
		}
		if last {
			return
		}
	}
}

func (p *rowPipeline) parseChunks() {
	defer p.wg.Done()
	for {
		select {
		case c, ok := <-p.work:
			if !ok {
				return
			}
			for i := range c.rows {
				if c.rows[i].err == nil {
					p.parse(c.data, &c.rows[i])
				}
			}
			close(c.ready)
		case <-p.stop:
			return
		}
	}
}
