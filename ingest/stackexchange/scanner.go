package stackexchange

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

const (
	initialBufferBytes = 256 << 10
	// defaultMaxRowBytes caps the memory a single row may take. Real rows are
	// a few hundred KiB at most; bigger ones are skipped as a *RowError.
	defaultMaxRowBytes = 16 << 20
	// longestTagPrefix is the lookahead needed to classify a tag ("<![CDATA[").
	longestTagPrefix = 9
	rowTag           = "<row"
	utf8BOM          = "\xef\xbb\xbf"
)

var errWindowFull = errors.New("element exceeds the row size limit")

// RowScanner reads the <row .../> elements of a Stack Exchange dump file.
// It keeps one buffer, grown only as far as the largest row (capped), so its
// memory does not depend on the file size.
type RowScanner struct {
	r       io.Reader
	name    string
	maxRow  int
	bufSize int // initial buffer size

	buf      []byte
	pos, end int   // buf[pos:end] is the input not consumed yet
	base     int64 // file offset of buf[0]
	readErr  error // sticky error from r; io.EOF at the end of the input

	started  bool
	rootOpen bool
	done     bool

	offset    int64
	rowOffset int64
}

// NewRowScanner reads <row .../> elements from r. name is used in errors.
// startOffset is the byte offset r is already positioned at: 0, or a value
// previously returned by Offset when resuming, in which case r begins at a
// row boundary with no XML header or root element before it.
func NewRowScanner(r io.Reader, name string, startOffset int64) *RowScanner {
	return &RowScanner{
		r:         r,
		name:      name,
		maxRow:    defaultMaxRowBytes,
		bufSize:   initialBufferBytes,
		base:      startOffset,
		offset:    startOffset,
		rowOffset: startOffset,
	}
}

// Offset is the byte offset just after the last row returned: a safe point
// to resume from with NewRowScanner.
func (s *RowScanner) Offset() int64 { return s.offset }

// RowOffset is the byte offset where the last returned row started.
func (s *RowScanner) RowOffset() int64 { return s.rowOffset }

// Next returns the attribute bytes of the next row (everything between
// "<row" and "/>"), valid until the next call. It returns io.EOF after the
// closing root element. A truncated input (end of file inside a row, or no
// closing root element) returns a *ReadError. A malformed or oversized row
// returns a *RowError; the scanner has skipped it and Next may be called
// again.
func (s *RowScanner) Next() ([]byte, error) {
	if !s.started {
		s.started = true
		if err := s.skipBOM(); err != nil {
			return nil, err
		}
	}
	for !s.done {
		if err := s.findTag(); err != nil {
			return nil, err
		}
		if isRowStart(s.buf[s.pos:s.end]) {
			return s.readRow()
		}
		if err := s.skipTag(); err != nil {
			return nil, err
		}
	}
	return nil, io.EOF
}

// skipTag consumes a tag that is not a row: the XML declaration, comments,
// the root element and its end tag (which ends the input).
func (s *RowScanner) skipTag() error {
	rest := s.buf[s.pos:s.end]
	var err error
	switch {
	case hasPrefix(rest, "<?"):
		_, err = s.skipPast("?>")
	case hasPrefix(rest, "<!--"):
		_, err = s.skipPast("-->")
	case hasPrefix(rest, "<![CDATA["):
		_, err = s.skipPast("]]>")
	case hasPrefix(rest, "<!"):
		_, err = s.skipPast(">")
	case hasPrefix(rest, "</"):
		err = s.endTag()
	default:
		err = s.startTag()
	}
	return err
}

func (s *RowScanner) skipBOM() error {
	if s.base != 0 {
		return nil
	}
	if err := s.lookahead(len(utf8BOM)); err != nil {
		return err
	}
	if hasPrefix(s.buf[s.pos:s.end], utf8BOM) {
		s.pos += len(utf8BOM)
	}
	return nil
}

// findTag moves pos to the next '<', skipping the text between elements,
// and makes enough bytes available to classify the tag.
func (s *RowScanner) findTag() error {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
			s.pos += i
			return s.lookahead(longestTagPrefix)
		}
		s.pos = s.end
		if err := s.fill(); err != nil {
			return s.endOfInputError(err, "input ends without a closing root element")
		}
	}
}

func (s *RowScanner) endTag() error {
	tag, err := s.skipPast(">")
	if err != nil {
		return err
	}
	if !isEndTagOf(tag, "row") {
		s.done = true
	}
	return nil
}

func (s *RowScanner) startTag() error {
	tag, err := s.skipPast(">")
	if err != nil {
		return err
	}
	if bytes.HasSuffix(tag, []byte("/>")) && !s.rootOpen {
		s.done = true // an empty root element such as <posts/>
	}
	s.rootOpen = true
	return nil
}

// readRow consumes the row starting at pos. A row ends at the last '>'
// before the next '<': '<' cannot occur inside an attribute value, while
// '>' and "/>" can.
func (s *RowScanner) readRow() ([]byte, error) {
	searched := len(rowTag)
	for {
		if i := bytes.IndexByte(s.buf[s.pos+searched:s.end], '<'); i >= 0 {
			return s.finishRow(searched+i, false)
		}
		searched = s.end - s.pos
		switch err := s.fill(); {
		case err == nil:
		case err == io.EOF:
			return s.finishRow(searched, true)
		case errors.Is(err, errWindowFull):
			return nil, s.skipOversizedRow()
		default:
			return nil, s.readError(err)
		}
	}
}

// finishRow returns the row occupying the next n bytes (up to the next tag
// or the end of input) and consumes it.
func (s *RowScanner) finishRow(n int, atEOF bool) ([]byte, error) {
	elem := trimSpaceRight(s.buf[s.pos : s.pos+n])
	start := s.base + int64(s.pos)
	var attrs []byte
	switch {
	case bytes.HasSuffix(elem, []byte("/>")):
		attrs = elem[len(rowTag) : len(elem)-2]
	case bytes.HasSuffix(elem, []byte(">")):
		attrs = elem[len(rowTag) : len(elem)-1]
	case atEOF:
		return nil, &ReadError{File: s.name, Offset: start, Err: fmt.Errorf(
			"input ends at byte offset %d inside the row starting here: %w", s.base+int64(s.end), io.ErrUnexpectedEOF)}
	default:
		s.consumeBadRow(start, n)
		return nil, newRowError(s.name, start, errors.New("row is not closed before the next tag"), elem)
	}
	if len(elem) > s.maxRow {
		s.consumeBadRow(start, n)
		return nil, newRowError(s.name, start, s.tooLargeReason(), elem)
	}
	s.rowOffset = start
	s.pos += len(elem)
	s.offset = s.base + int64(s.pos)
	return attrs, nil
}

func (s *RowScanner) consumeBadRow(start int64, n int) {
	s.rowOffset = start
	s.pos += n
	s.offset = s.base + int64(s.pos)
}

func (s *RowScanner) tooLargeReason() error {
	return fmt.Errorf("row exceeds %d bytes", s.maxRow)
}

// skipOversizedRow discards a row too large to buffer, up to the next tag.
func (s *RowScanner) skipOversizedRow() error {
	start := s.base + int64(s.pos)
	head := clipRow(s.buf[s.pos:s.end])
	for {
		s.pos = s.end
		if err := s.fill(); err != nil {
			return s.endOfInputError(err, "input ends inside an oversized row")
		}
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
			s.consumeBadRow(start, i)
			return &RowError{File: s.name, Offset: start, Reason: s.tooLargeReason().Error(), Row: head}
		}
	}
}

// skipPast consumes input up to and including delim and returns it.
func (s *RowScanner) skipPast(delim string) ([]byte, error) {
	searched := 0
	for {
		if i := bytes.Index(s.buf[s.pos+searched:s.end], []byte(delim)); i >= 0 {
			n := searched + i + len(delim)
			tag := s.buf[s.pos : s.pos+n]
			s.pos += n
			return tag, nil
		}
		searched = max(0, s.end-s.pos-len(delim)+1)
		if err := s.fill(); err != nil {
			return nil, s.endOfInputError(err, "input ends inside a tag")
		}
	}
}

// lookahead makes at least n bytes available after pos, unless the input
// ends first.
func (s *RowScanner) lookahead(n int) error {
	for s.end-s.pos < n {
		if err := s.fill(); err == io.EOF {
			return nil
		} else if err != nil {
			return s.readError(err)
		}
	}
	return nil
}

// fill reads more input after buf[pos:end], first moving that window to the
// front of the buffer. It returns io.EOF at the end of the input and
// errWindowFull when the window has reached the row size limit.
func (s *RowScanner) fill() error {
	if s.readErr != nil {
		return s.readErr
	}
	s.compact()
	if err := s.makeRoom(); err != nil {
		return err
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.readErr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	s.readErr = io.ErrNoProgress
	return s.readErr
}

func (s *RowScanner) compact() {
	if s.pos == 0 {
		return
	}
	s.end = copy(s.buf, s.buf[s.pos:s.end])
	s.base += int64(s.pos)
	s.pos = 0
}

// makeRoom grows the buffer when the window takes more than half of it.
func (s *RowScanner) makeRoom() error {
	if s.buf == nil {
		s.buf = make([]byte, s.bufSize)
		return nil
	}
	if s.end >= s.maxRow {
		return errWindowFull
	}
	if free := len(s.buf) - s.end; free >= len(s.buf)/2 {
		return nil
	}
	limit := s.maxRow + s.bufSize
	if len(s.buf) >= limit {
		return nil
	}
	grown := make([]byte, min(2*len(s.buf), limit))
	copy(grown, s.buf[:s.end])
	s.buf = grown
	return nil
}

func (s *RowScanner) endOfInputError(err error, what string) error {
	if err == io.EOF {
		return &ReadError{File: s.name, Offset: s.base + int64(s.end), Err: fmt.Errorf("%s: %w", what, io.ErrUnexpectedEOF)}
	}
	return s.readError(err)
}

func (s *RowScanner) readError(err error) error {
	if errors.Is(err, errWindowFull) {
		err = fmt.Errorf("%w (%d bytes)", err, s.maxRow)
	}
	return &ReadError{File: s.name, Offset: s.base + int64(s.end), Err: err}
}

func isRowStart(b []byte) bool {
	if !hasPrefix(b, rowTag) {
		return false
	}
	if len(b) == len(rowTag) {
		return true // the input ends here; readRow reports the truncation
	}
	switch b[len(rowTag)] {
	case ' ', '\t', '\r', '\n', '/', '>':
		return true
	}
	return false
}

// isEndTagOf reports whether tag is "</name>", allowing space before '>'.
func isEndTagOf(tag []byte, name string) bool {
	inner := trimSpaceRight(tag[2 : len(tag)-1])
	return string(inner) == name
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}
