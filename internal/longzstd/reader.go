// Package longzstd is a streaming Zstandard (RFC 8878) decoder whose memory
// does not grow with the frame's window.
//
// A frame written with `zstd --long=31` declares a 2 GiB window: a match may
// copy from anywhere in the last 2 GiB of output. Instead of keeping all of
// that in RAM, this decoder keeps the most recent MemoryHistory bytes in an
// in-memory ring and the older part of the window in a temporary file,
// written at the stream position modulo the window and read back for the
// rare far matches; the page cache holds it, not the process.
//
// Resident memory is about MemoryHistory plus 1 MiB of fixed buffers,
// whatever the window and the size of the content; the history file grows
// to at most the frame's window.
//
// Dictionaries are not supported. Where RFC 8878 leaves the handling of
// invalid input open, the decoder does what klauspost/compress does, which
// it is tested against: a repeat offset "offset 1 minus one" of 0 is taken
// as 1, an FSE-compressed sequence table with a single symbol is an error,
// a Huffman weight stream that ends inside a state update is an error, and a
// single-segment frame's window is its content size but at least 1 KiB.
package longzstd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// Options tune a Reader. The zero value is ready to use.
type Options struct {
	// MaxWindow is the largest frame window accepted; 0 means 1<<31.
	// A frame declaring a larger window is an error. It also bounds the
	// size of the history file.
	MaxWindow int64
	// MemoryHistory is how many bytes of the most recent output are kept in
	// RAM; 0 means 64 MiB. Older output that the window still reaches goes
	// to a temporary file.
	MemoryHistory int
	// TempDir is where the history file is created; "" means os.TempDir().
	// The file is unlinked as soon as it is created (except on Windows), so
	// it cannot be left behind; its space is freed by Close or when the
	// stream ends.
	TempDir string
}

const (
	defaultMaxWindow = 1 << 31
	// DefaultMemoryHistory is the RAM a Reader keeps of recent output by default.
	DefaultMemoryHistory = 64 << 20
	// wideCopySlack is spare room after block and literal buffers so that
	// copies may move 16 bytes at a time past the end of what they need.
	wideCopySlack   = 64
	inputBufferSize = 256 << 10
)

// Reader decompresses a stream of zstd frames.
type Reader struct {
	in   input
	opts Options

	frame       frameState
	inFrame     bool
	history     history
	hash        *xxhash.Digest
	huffman     huffTable
	haveHuffman bool
	sequences   sequenceTables

	workspace *workspace
	out       []byte // the block being decoded, plus slack
	literals  []byte // the block's literals, plus slack
	pending   []byte // decoded output not yet read

	err error // sticky; io.EOF after the last frame
}

var errClosed = errors.New("longzstd: read from a closed Reader")

// NewReader returns a Reader that decompresses r. It reads nothing until the
// first call to Read or WriteTo; r may be slow and is read as needed.
func NewReader(r io.Reader, o Options) (*Reader, error) {
	if r == nil {
		return nil, errors.New("longzstd: nil reader")
	}
	if o.MaxWindow < 0 || o.MemoryHistory < 0 {
		return nil, fmt.Errorf("longzstd: negative option (MaxWindow %d, MemoryHistory %d)", o.MaxWindow, o.MemoryHistory)
	}
	if o.MaxWindow == 0 {
		o.MaxWindow = defaultMaxWindow
	}
	if o.MemoryHistory == 0 {
		o.MemoryHistory = DefaultMemoryHistory
	}
	ws := getWorkspace(r)
	d := &Reader{
		in:        input{r: ws.in},
		opts:      o,
		hash:      xxhash.New(),
		workspace: ws,
		out:       ws.out,
		literals:  ws.literals,
	}
	d.history.tempDir = o.TempDir
	return d, nil
}

// workspace is the fixed-size memory of a Reader, recycled between Readers.
type workspace struct {
	in            *bufio.Reader
	out, literals []byte
}

var workspaces sync.Pool

func getWorkspace(r io.Reader) *workspace {
	if ws, ok := workspaces.Get().(*workspace); ok {
		ws.in.Reset(r)
		return ws
	}
	return &workspace{
		in:       bufio.NewReaderSize(r, inputBufferSize),
		out:      make([]byte, maxBlockSize+wideCopySlack),
		literals: make([]byte, maxBlockSize+wideCopySlack),
	}
}

func putWorkspace(ws *workspace) {
	ws.in.Reset(nil)
	workspaces.Put(ws)
}

// Read reads decompressed bytes into p. It returns io.EOF after the last
// frame.
func (d *Reader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.err = d.step()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// WriteTo writes all remaining decompressed bytes to w.
func (d *Reader) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for {
		if len(d.pending) > 0 {
			n, err := w.Write(d.pending)
			written += int64(n)
			d.pending = d.pending[n:]
			if err != nil {
				return written, err
			}
			continue
		}
		if d.err != nil {
			if d.err == io.EOF {
				return written, nil
			}
			return written, d.err
		}
		d.err = d.step()
	}
}

// Close frees the Reader's memory and removes its history file. The
// underlying reader is not closed.
func (d *Reader) Close() error {
	if d.err == errClosed {
		return nil
	}
	err := d.history.release()
	d.err = errClosed
	d.pending = nil
	d.out = nil
	d.literals = nil
	d.in = input{}
	putWorkspace(d.workspace)
	d.workspace = nil
	return err
}

// step decodes the next block, or the next frame header. When the stream
// ends or fails for good, it removes the history file.
func (d *Reader) step() error {
	var err error
	if d.inFrame {
		err = d.decodeBlock()
	} else {
		err = d.startFrame()
	}
	if err != nil {
		if cerr := d.history.closeFile(); cerr != nil && err == io.EOF {
			err = fmt.Errorf("longzstd: removing history file: %w", cerr)
		}
	}
	return err
}

// input is the buffered compressed stream with its position.
type input struct {
	r      *bufio.Reader
	offset int64 // compressed bytes consumed
}

// peek returns the next n bytes without consuming them. If fewer are left
// it returns what there is with an error wrapping io.ErrUnexpectedEOF.
func (in *input) peek(n int) ([]byte, error) {
	b, err := in.r.Peek(n)
	if len(b) == n {
		return b, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

// discard consumes n bytes that peek returned.
func (in *input) discard(n int) {
	in.r.Discard(n)
	in.offset += int64(n)
}

// skip consumes n bytes, reading through them.
func (in *input) skip(n int64) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		skipped, err := in.r.Discard(step)
		in.offset += int64(skipped)
		n -= int64(skipped)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
