package wikipedia

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

const (
	bzReadChunk   = 1 << 20
	bzOutputBytes = 1 << 20
	bzFreeBuffers = 8
	// maxMergedBlockBytes bounds the retries after a block fails to decode:
	// a compressed block (at most 900 kB of input) is never near this size,
	// so a failing segment this large is corruption, not a false magic.
	maxMergedBlockBytes = 3 << 20
	// maxJoins bounds them too: one false magic splits a block in two.
	maxJoins = 4
)

var (
	errBzip2Truncated  = fmt.Errorf("bzip2 input ends inside a stream: %w", io.ErrUnexpectedEOF)
	errBzip2StreamCRC  = errors.New("bzip2 stream checksum mismatch")
	errBzip2NoBoundary = errors.New("no bzip2 block boundary where one must be: corrupt input")
)

// bz2Job is one block wrapped as a standalone one-block stream, or a
// terminal event of the input.
type bz2Job struct {
	stream     []byte // "BZh" + level, the block, end-of-stream magic, CRC
	blockBits  int64  // the block's length; it starts at byte 4 of stream
	level      byte
	start      int64 // compressed offset of the block's first byte
	end        int64 // compressed offset just past it
	blockCRC   uint32
	endsStream bool
	streamCRC  uint32 // the stored CRC of the stream the block ends
	truncated  bool   // the input ends inside this block

	sequential io.Reader // the rest of the input, from byte start, for compress/bzip2
	fatal      error     // the input failed or is corrupt at byte start

	done chan struct{} // closed once out and err are set
	out  []byte
	err  error
}

type bz2Chunk struct {
	data []byte
	err  error
}

// bz2Reader decodes bzip2 in parallel. A producer finds block boundaries by
// their magic and wraps each block as a one-block stream (for which the
// stream CRC is the block's CRC); workers decode those with a blockDecoder;
// a collector checks them in order, verifies each stream's CRC and hands
// the output to Read. A magic found inside block data splits a block in
// two, both halves fail to decode, and the collector retries the failed
// half joined to the next segment. At a stream header it does not expect,
// the producer hands the rest of the input to a sequential compress/bzip2.
type bz2Reader struct {
	name    string
	src     io.Reader
	workers int
	in      bz2Window
	ordered chan *bz2Job // every job, in input order
	work    chan *bz2Job // jobs to decode
	out     chan bz2Chunk
	free    chan []byte
	quit    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once

	// extraCuts are bit offsets treated as block magics: a test hook that
	// simulates magics found inside block data.
	extraCuts []int64

	retryDecoder *blockDecoder // the collector's, made on its first retry

	cur, curBuf []byte
	err         error
}

// newBzip2Reader decodes src on workers goroutines (0: GOMAXPROCS). name
// is used in errors; their offsets are compressed offsets.
func newBzip2Reader(src io.Reader, name string, workers int) *bz2Reader {
	d := prepareBzip2Reader(src, name, workers)
	d.start()
	return d
}

// prepareBzip2Reader makes a reader whose goroutines start with start.
func prepareBzip2Reader(src io.Reader, name string, workers int) *bz2Reader {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &bz2Reader{
		name:    name,
		src:     src,
		workers: workers,
		in:      bz2Window{r: src},
		ordered: make(chan *bz2Job, 2*workers),
		work:    make(chan *bz2Job, 2*workers),
		out:     make(chan bz2Chunk, 2),
		free:    make(chan []byte, bzFreeBuffers),
		quit:    make(chan struct{}),
	}
}

func (d *bz2Reader) start() {
	d.wg.Add(2 + d.workers)
	go d.produce()
	go d.collect()
	for range d.workers {
		go d.decodeJobs()
	}
}

func (d *bz2Reader) Read(p []byte) (int, error) {
	for len(d.cur) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.recycle(d.curBuf)
		d.cur, d.curBuf = nil, nil
		c, ok := <-d.out
		switch {
		case !ok:
			d.err = io.EOF
		case c.err != nil:
			d.err = c.err
		default:
			d.cur, d.curBuf = c.data, c.data
		}
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}

// Close stops the goroutines and closes src if it is a Closer.
func (d *bz2Reader) Close() error {
	var err error
	d.closing.Do(func() {
		close(d.quit)
		if c, ok := d.src.(io.Closer); ok {
			err = c.Close()
		}
		d.wg.Wait()
	})
	return err
}

func (d *bz2Reader) buffer() []byte {
	select {
	case b := <-d.free:
		return b[:0]
	default:
		return make([]byte, 0, bzOutputBytes)
	}
}

func (d *bz2Reader) recycle(b []byte) {
	if cap(b) == 0 {
		return
	}
	select {
	case d.free <- b:
	default:
	}
}

func (d *bz2Reader) readError(offset int64, err error) error {
	return &ReadError{File: d.name, Offset: offset, Err: fmt.Errorf("compressed bzip2 input: %w", err)}
}

// collect takes the jobs in input order and sends their output to Read.
func (d *bz2Reader) collect() {
	defer d.wg.Done()
	defer close(d.out)
	var crc uint32 // of the current stream's blocks so far
	for {
		job, ok := d.next()
		if !ok {
			return
		}
		if job.sequential != nil {
			d.decodeSequential(job)
			return
		}
		job, err := d.verify(job, &crc)
		if err != nil {
			d.send(bz2Chunk{err: err})
			return
		}
		if !d.send(bz2Chunk{data: job.out}) {
			return
		}
	}
}

// verify returns the job decoded, retrying a failed block joined to the
// next segments, and checks the stream CRC at the end of a stream.
func (d *bz2Reader) verify(job *bz2Job, crc *uint32) (*bz2Job, error) {
	switch {
	case job.fatal != nil:
		return nil, d.readError(job.start, job.fatal)
	case job.truncated:
		return nil, d.readError(job.end, errBzip2Truncated)
	case job.err != nil:
		var err error
		if job, err = d.retry(job); err != nil {
			return nil, err
		}
	}
	*crc = bzCombineCRC(*crc, job.blockCRC)
	if !job.endsStream {
		return job, nil
	}
	streamCRC := *crc
	*crc = 0
	if streamCRC != job.streamCRC {
		return nil, d.readError(job.end, errBzip2StreamCRC)
	}
	return job, nil
}

// next returns the next job once it is done.
func (d *bz2Reader) next() (*bz2Job, bool) {
	select {
	case job, ok := <-d.ordered:
		if !ok {
			return nil, false
		}
		select {
		case <-job.done:
			return job, true
		case <-d.quit:
			return nil, false
		}
	case <-d.quit:
		return nil, false
	}
}

func (d *bz2Reader) send(c bz2Chunk) bool {
	select {
	case d.out <- c:
		return true
	case <-d.quit:
		return false
	}
}

// retry joins a block that failed to decode with the following segments,
// in case it was cut at a magic found inside its data, until it decodes.
func (d *bz2Reader) retry(failed *bz2Job) (*bz2Job, error) {
	corrupt := d.readError(failed.start, failed.err)
	merged := failed
	for joins := 0; joins < maxJoins && !merged.endsStream && len(merged.stream) < maxMergedBlockBytes; joins++ {
		next, ok := d.next()
		if !ok || next.sequential != nil || next.fatal != nil {
			break
		}
		d.recycle(next.out)
		d.recycle(merged.out)
		merged = joinJobs(merged, next)
		if merged.truncated {
			return nil, d.readError(merged.end, errBzip2Truncated)
		}
		if d.retryDecoder == nil {
			d.retryDecoder = new(blockDecoder)
		}
		merged.out, merged.err = d.retryDecoder.decodeStream(merged.stream, d.buffer())
		if merged.err == nil {
			return merged, nil
		}
	}
	return nil, corrupt
}

// joinJobs is the segment from a's start to b's end.
func joinJobs(a, b *bz2Job) *bz2Job {
	j := *b
	j.start, j.blockCRC, j.blockBits = a.start, a.blockCRC, a.blockBits+b.blockBits
	w := bitWriter{buf: make([]byte, 0, len(a.stream)+len(b.stream))}
	w.buf = append(w.buf, 'B', 'Z', 'h', a.level)
	w.copyBits(a.stream, bzHeaderBytes*8, a.blockBits)
	w.copyBits(b.stream, bzHeaderBytes*8, b.blockBits)
	j.stream = appendTrailer(&w, j.blockCRC)
	j.out, j.err = nil, nil
	return &j
}

func appendTrailer(w *bitWriter, crc uint32) []byte {
	w.write(bzEOSMagic, bzMagicBits)
	w.write(uint64(crc), bzCRCBits)
	return w.bytes()
}

// decodeSequential decodes the rest of the input with compress/bzip2.
func (d *bz2Reader) decodeSequential(job *bz2Job) {
	in := &countingReader{r: bufio.NewReaderSize(job.sequential, bzReadChunk)}
	zr := bzip2.NewReader(in)
	for {
		buf := d.buffer()[:bzOutputBytes]
		n, err := readFull(zr, buf)
		if n > 0 && !d.send(bz2Chunk{data: buf[:n]}) {
			return
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			d.send(bz2Chunk{err: d.readError(job.start+in.n, err)})
			return
		}
	}
}

// readFull is io.ReadFull that tells a clean end (io.EOF) from any error.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// countingReader counts the compressed bytes compress/bzip2 consumed.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
