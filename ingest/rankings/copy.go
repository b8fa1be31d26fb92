package rankings

import (
	"context"
	"errors"
	"io"
)

// CopyOptions configure CopyLines.
type CopyOptions struct {
	// Every is how many bytes of input pass between checkpoints (default 32 MiB).
	Every int64
	// Total is the input's size for Progress (-1: unknown).
	Total    int64
	Progress func(read, total int64)
	// Bytes counts the input read, as it is checkpointed.
	Bytes *int64
	// Checkpoint stores what was published and the reader's position; done says the file is
	// read to its end.
	Checkpoint func(done bool) error
	// ReadError, if set, wraps a read failure before it is returned.
	ReadError func(error) error
}

// CopyLines hands every line from the reader's position to line, checkpointing every
// o.Every bytes of input, after a read failure (so what was read before it is kept; a rerun
// fails there again) and at the end. The line ingests (rankings, prompts) share it.
func CopyLines(ctx context.Context, lines *LineReader, o CopyOptions, line func(Line) error) error {
	every := o.Every
	if every <= 0 {
		every = 32 << 20
	}
	start := lines.Offset()
	next, nextProgress := start+every, start
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			*o.Bytes += lines.Offset() - start
			if o.ReadError != nil {
				err = o.ReadError(err)
			}
			return errors.Join(err, o.Checkpoint(false))
		}
		if err := line(l); err != nil {
			return err
		}
		if off := lines.Offset(); off >= next {
			*o.Bytes += off - start
			start, next = off, off+every
			if err := o.Checkpoint(false); err != nil {
				return err
			}
		}
		if o.Progress != nil && lines.Offset() >= nextProgress {
			o.Progress(lines.Offset(), o.Total)
			nextProgress = lines.Offset() + 1<<20
		}
	}
	*o.Bytes += lines.Offset() - start
	if o.Progress != nil {
		o.Progress(lines.Offset(), o.Total)
	}
	return o.Checkpoint(true)
}
