package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/prefstream/prefstream/schemas"
)

// Reader yields the documents of one input file, in order.
type Reader interface {
	// Next returns the next document. A *BadRecord means one record was skipped and reading
	// goes on; ErrSkip means a record the source does not use; io.EOF ends the input; any other
	// error is fatal for the file (it names the file and the offset).
	Next() (schemas.Document, error)
	// Offset is the input position just after the last record: a resume point.
	Offset() int64
}

// ErrSkip is a record the source does not use, counted as skipped.
var ErrSkip = errors.New("ingest: record not used")

// ErrBoundary is no record: the reader is between two units it can resume at (the pages of a
// Wikipedia history), and Offset is that point. Readers that return it are checkpointed only there.
var ErrBoundary = errors.New("ingest: resumable boundary")

// BadRecord is a record that could not be read; it is dead-lettered with its reason.
type BadRecord struct {
	File   string
	Offset int64
	Reason string
	Row    []byte
}

func (e *BadRecord) Error() string {
	return fmt.Sprintf("ingest: %s: bad record at byte %d: %s", e.File, e.Offset, e.Reason)
}

// Position packs a file's index among the files of one dump and an offset in it.
func Position(file int, offset int64) int64 { return int64(file)<<48 | offset }

// SplitPosition undoes Position.
func SplitPosition(p int64) (file int, offset int64) { return int(p >> 48), p & (1<<48 - 1) }

// CopyOptions tune Copy.
type CopyOptions struct {
	// File is the index of this input among the dump's files (see Position).
	File int
	// CheckpointBytes of input between checkpoints (default 32 MiB).
	CheckpointBytes int64
	// Progress, if set, hears the offset reached in this file about every MiB, of Total.
	Progress func(read, total int64)
	Total    int64
}

// Copy moves every document of r into bt, dead-letters bad records, and stores a checkpoint
// every CheckpointBytes. It returns nil at the end of r, or the first fatal error.
func Copy(ctx context.Context, bt *Batcher, r Reader, o CopyOptions) error {
	every := o.CheckpointBytes
	if every <= 0 {
		every = 32 << 20
	}
	start := r.Offset()
	next, nextProgress := start+every, start
	paged := false
	for {
		d, err := r.Next()
		atBoundary := errors.Is(err, ErrBoundary)
		paged = paged || atBoundary
		switch {
		case atBoundary:
		case errors.Is(err, io.EOF):
			if o.Progress != nil {
				o.Progress(r.Offset(), o.Total)
			}
			bt.countBytes(r.Offset() - start)
			return nil
		case errors.Is(err, ErrSkip):
			bt.cp.Counts.Skipped++
			bt.metrics.skipped.Inc()
		case err != nil:
			var bad *BadRecord
			if !errors.As(err, &bad) {
				bt.countBytes(r.Offset() - start)
				return err
			}
			doc := schemas.Document{Text: string(bad.Row), SourceFile: bad.File, Offset: bad.Offset}
			if err := bt.DeadLetter(ctx, bad.Reason, fmt.Sprintf("%s:%d", bad.File, bad.Offset), doc); err != nil {
				return err
			}
		default:
			if err := bt.Add(ctx, d); err != nil {
				return err
			}
		}
		off := r.Offset()
		if off >= next && (!paged || atBoundary) {
			bt.countBytes(off - start)
			start = off
			if err := bt.Flush(ctx, Position(o.File, off)); err != nil {
				return err
			}
			next = off + every
		}
		if o.Progress != nil && off >= nextProgress {
			o.Progress(off, o.Total)
			nextProgress = off + 1<<20
		}
	}
}
