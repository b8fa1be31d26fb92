package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"io"
)

// decodeJobs is a worker. It decodes its jobs with one compress/bzip2
// reader, so the reader's 3.6 MB of tables are allocated once per worker
// rather than once per block: a blockFeeder serves it the jobs' one-block
// streams back to back, as a multistream file.
func (d *bz2Reader) decodeJobs() {
	defer d.wg.Done()
	f := &blockFeeder{d: d, scratch: make([]byte, 64<<10)}
	for {
		err := f.decode(bzip2.NewReader(f))
		if f.job == nil { // no more jobs, or Close
			return
		}
		// The job failed; the reader is unusable after an error.
		f.job.err = err
		close(f.job.done)
		f.job, f.rest = nil, nil
	}
}

// blockFeeder is the input of a worker's compress/bzip2 reader. That reader
// asks for the first byte after a stream only once it has returned all of
// the stream's output and checked its CRCs, so a job is done when its bytes
// are used up and the next one is asked for. A block cut short by a false
// magic may ask for more bytes too, but before it has output anything (a
// block's output starts once the whole block is decoded): the feeder then
// fails the job instead of moving on.
type blockFeeder struct {
	d       *bz2Reader
	job     *bz2Job // being decoded
	rest    []byte  // of job.stream
	scratch []byte
}

var errOverrun = errors.New("block data runs past the segment")

// decode appends the reader's output to the current job's until the reader
// fails or ends.
func (f *blockFeeder) decode(zr io.Reader) error {
	for {
		n, err := zr.Read(f.scratch)
		if n > 0 {
			f.job.out = append(f.job.out, f.scratch[:n]...)
		}
		if err != nil {
			return err
		}
	}
}

func (f *blockFeeder) ReadByte() (byte, error) {
	if len(f.rest) == 0 {
		if err := f.nextJob(); err != nil {
			return 0, err
		}
	}
	b := f.rest[0]
	f.rest = f.rest[1:]
	return b, nil
}

// Read is never used: compress/bzip2 reads an io.ByteReader byte by byte.
func (f *blockFeeder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := f.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// nextJob completes the current job and takes the next one; io.EOF when
// there is none.
func (f *blockFeeder) nextJob() error {
	if f.job != nil {
		if len(f.job.out) == 0 {
			return errOverrun
		}
		close(f.job.done)
		f.job = nil
	}
	select {
	case job, ok := <-f.d.work:
		if !ok {
			return io.EOF
		}
		f.job, f.rest = job, job.stream
		f.job.out = f.d.buffer()
		return nil
	case <-f.d.quit:
		return io.EOF
	}
}

func decodeBlockStream(stream, dst []byte) ([]byte, error) {
	zr := bzip2.NewReader(bytes.NewReader(stream))
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := zr.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}
