package synth

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

const outputBuffer = 1 << 20

// output writes one dump file through a buffer into a temporary name and
// renames it into place on success. The first write error sticks.
type output struct {
	path string
	file *os.File
	n    *countingWriter
	w    *bufio.Writer
	err  error
}

func createOutput(path string, progress func(int64)) (*output, error) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	n := &countingWriter{w: f, progress: progress}
	return &output{path: path, file: f, n: n, w: bufio.NewWriterSize(n, outputBuffer)}, nil
}

func (o *output) write(b []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(b)
	}
}

func (o *output) writeString(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}

// size is the number of bytes written so far, buffered ones included.
func (o *output) size() int64 { return o.n.n + int64(o.w.Buffered()) }

// finish flushes and closes the temporary file; on error it is removed.
func (o *output) finish() error {
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if err := o.file.Close(); o.err == nil {
		o.err = err
	}
	if o.err != nil {
		os.Remove(o.path + ".tmp")
		return fmt.Errorf("synth: writing %s: %w", o.path, o.err)
	}
	return nil
}

// publish renames the finished file into place.
func (o *output) publish() error {
	if err := os.Rename(o.path+".tmp", o.path); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

func (o *output) abort() {
	o.file.Close()
	os.Remove(o.path + ".tmp")
}

type countingWriter struct {
	w        io.Writer
	n        int64
	progress func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.progress != nil {
		c.progress(c.n)
	}
	return n, err
}
