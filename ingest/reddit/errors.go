package reddit

import "fmt"

// maxErrorRowBytes caps how much of a bad line a RowError keeps.
const maxErrorRowBytes = 64 << 10

// RowError reports a line that could not be parsed. The file itself is still
// readable: the caller dead-letters the line and calls Next again.
type RowError struct {
	File   string
	Line   int64 // 1-based, counted from where the reader started
	Offset int64 // uncompressed byte offset where the line starts
	Reason string
	Row    []byte // the line, truncated to 64 KiB
}

func (e *RowError) Error() string {
	return fmt.Sprintf("reddit: %s: bad line %d at byte offset %d: %s", e.File, e.Line, e.Offset, e.Reason)
}

// ReadError reports that a file is unreadable or truncated (such as a
// truncated zstd frame). It is fatal for that file.
type ReadError struct {
	File   string
	Offset int64 // uncompressed bytes successfully read before the failure
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reddit: %s: read error at byte offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

func clipRow(row []byte) []byte {
	return append([]byte(nil), row[:min(len(row), maxErrorRowBytes)]...)
}
