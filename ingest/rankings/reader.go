package rankings

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// MaxLineBytes is the longest line read; a longer one is skipped and dead-lettered (a ranking
// must fit in one message anyway).
const MaxLineBytes = 16 << 20

const (
	gzipMagic = "\x1f\x8b"
	zstdMagic = "\x28\xb5\x2f\xfd"
)

// Line is one input line.
type Line struct {
	// Number is 1-based, counted from the start of the file.
	Number int64
	// Offset is the uncompressed byte offset where the line starts.
	Offset int64
	// Text is the line without its line ending; it is only valid until the next call to Next.
	// A line longer than MaxLineBytes holds its first MaxLineBytes and TooLong is set.
	Text    []byte
	TooLong bool
}

// LineReader reads the lines of a plain, gzip or zstd file (told apart by their first bytes),
// remembering where each starts, so an ingest can resume at a line.
type LineReader struct {
	file   string
	src    *bufio.Reader
	closer func() error
	offset int64 // where the next line starts
	number int64 // lines read before the next one
	buf    []byte
}

// OpenLines opens path and positions it at the line starting at uncompressed byte offset, the
// line-th of the file (both 0 to read from the start; a checkpoint gives them).
func OpenLines(path string, offset, line int64) (*LineReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rankings: %w", err)
	}
	r := &LineReader{file: path, offset: offset, number: line}
	br := bufio.NewReaderSize(f, 256<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte(gzipMagic)):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("rankings: %s: gzip: %w", path, err)
		}
		r.src, r.closer = bufio.NewReaderSize(zr, 256<<10), func() error { return errors.Join(zr.Close(), f.Close()) }
	case bytes.HasPrefix(magic, []byte(zstdMagic)):
		zr, err := zstd.NewReader(br, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("rankings: %s: zstd: %w", path, err)
		}
		r.src, r.closer = bufio.NewReaderSize(zr, 256<<10), func() error { zr.Close(); return f.Close() }
	default:
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("rankings: %s: seek to %d: %w", path, offset, err)
		}
		br.Reset(f)
		r.src, r.closer = br, f.Close
		return r, nil
	}
	// Compressed: decompress up to the resume point.
	if n, err := io.CopyN(io.Discard, r.src, offset); err != nil {
		r.Close()
		return nil, fmt.Errorf("rankings: %s: resuming at byte %d, the input ends at %d: %w", path, offset, n, err)
	}
	return r, nil
}

// Offset is where the next line starts: a resume point, with Lines.
func (r *LineReader) Offset() int64 { return r.offset }

// Lines is the number of lines read so far, counted from the start of the file.
func (r *LineReader) Lines() int64 { return r.number }

// Next returns the next line, io.EOF after the last, or a *ReadError when the file cannot be
// read further (a truncated gzip or zstd stream, an I/O error).
func (r *LineReader) Next() (Line, error) {
	r.buf = r.buf[:0]
	start, size := r.offset, 0
	for {
		chunk, err := r.src.ReadSlice('\n')
		size += len(chunk)
		if room := MaxLineBytes + 1 - len(r.buf); room > 0 { // +1: room for the newline
			r.buf = append(r.buf, chunk[:min(len(chunk), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Line{}, &ReadError{File: r.file, Offset: start + int64(size), Err: err}
		}
		if size == 0 { // io.EOF with nothing read
			return Line{}, io.EOF
		}
		r.offset += int64(size)
		r.number++
		content := size
		if err == nil { // the line ended with its newline
			content--
		}
		text := r.buf[:min(len(r.buf), content, MaxLineBytes)]
		text = bytes.TrimSuffix(text, []byte("\r"))
		if r.number == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
		}
		return Line{Number: r.number, Offset: start, Text: text, TooLong: content > MaxLineBytes}, nil
	}
}

// Close releases the file and any decoder.
func (r *LineReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer()
	r.closer = nil
	return err
}

// ReadError reports that a file could not be read past Offset: fatal for that file, though the
// lines before it count.
type ReadError struct {
	File   string
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("rankings: %s: read error at byte %d: %v", e.File, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }
