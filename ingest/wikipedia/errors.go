package wikipedia

import (
	"errors"
	"fmt"
	"io"
)

// ReadError reports that a file is unreadable, truncated or corrupt. It is
// fatal for that file. Offset is the byte offset in the compressed file when
// the bzip2 decoder failed (the message says so), else in the uncompressed
// XML.
type ReadError struct {
	File   string
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("wikipedia: %s: read error at byte offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

var (
	errTagTooLong  = errors.New("markup longer than 64 KiB (not an XML export?)")
	errBadNumber   = errors.New("malformed number")
	errBadTime     = errors.New("malformed timestamp")
	errNoEndOfRoot = errors.New("input ends without the closing </mediawiki> (truncated?)")
)

// unexpectedEOF turns a clean end of input in the middle of the XML into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
