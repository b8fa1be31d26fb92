package stackexchange

import (
	"fmt"
	"strings"
)

// maxErrorRowBytes caps how much of a bad row a RowError keeps.
const maxErrorRowBytes = 4 << 10

// RowError reports a row that could not be parsed. The file itself is still
// readable: the caller dead-letters the row and goes on.
type RowError struct {
	File   string
	Offset int64  // byte offset where the row starts
	Reason string // why the row was rejected
	Row    []byte // raw row bytes, truncated to 4 KiB
}

func (e *RowError) Error() string {
	return fmt.Sprintf("stackexchange: %s: bad row at byte offset %d: %s", e.File, e.Offset, e.Reason)
}

// ReadError reports that a file is unreadable or truncated. It is fatal for
// that file.
type ReadError struct {
	File   string
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("stackexchange: %s: read error at byte offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

func newRowError(file string, offset int64, reason error, row []byte) *RowError {
	return &RowError{
		File:   file,
		Offset: offset,
		Reason: strings.TrimPrefix(reason.Error(), "stackexchange: "),
		Row:    clipRow(row),
	}
}

// clipRow copies at most maxErrorRowBytes of row, since rows returned by a
// RowScanner are only valid until its next call.
func clipRow(row []byte) []byte {
	return append([]byte(nil), row[:min(len(row), maxErrorRowBytes)]...)
}
