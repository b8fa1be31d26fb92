package wikipedia

import (
	"bytes"
	"io"
)

const (
	scanBufferBytes = 128 << 10
	// maxTagBytes caps a start or end tag with its attributes. Only
	// character data (the revision text) may be longer than the buffer.
	maxTagBytes = 64 << 10
	// longestMarkupPrefix is the lookahead needed to classify markup ("<![CDATA[").
	longestMarkupPrefix = 9
	maxEmptyReads       = 100
)

// tag is a start or end tag. name and attrs point into the scanner's buffer
// and are valid until its next call.
type tag struct {
	name   []byte
	attrs  []byte
	offset int64 // of the '<'
	end    bool  // </name>
	empty  bool  // <name/>
}

func (t tag) is(name string) bool { return string(t.name) == name }

// markupKind classifies what follows a '<'.
type markupKind int

const (
	markupTag markupKind = iota
	markupComment
	markupCDATA
	markupInstruction
	markupDeclaration
)

var markupOpeners = [...]string{
	markupComment:     "<!--",
	markupCDATA:       "<![CDATA[",
	markupInstruction: "<?",
	markupDeclaration: "<!",
}

var markupClosers = [...]string{
	markupComment:     "-->",
	markupCDATA:       "]]>",
	markupInstruction: "?>",
	markupDeclaration: ">",
}

// scanner is a hand-written streaming XML tokenizer for MediaWiki exports.
// It keeps one fixed buffer: tags must fit in it, character data streams
// through it into a sink, so memory does not depend on the input size.
// It is not a validating parser: end tag names are not matched against
// start tags, and unknown entities are kept literally.
type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is buffered input not consumed yet
	base     int64 // input offset of buf[0]
	err      error // sticky error from r; io.EOF at the end of the input
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, scanBufferBytes)}
}

// offset is the input offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// fill moves the unread bytes to the front of the buffer and reads more.
// It fails only when no byte could be added.
func (s *scanner) fill() error {
	if s.err != nil {
		return s.err
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos = 0
	}
	for range maxEmptyReads {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	s.err = io.ErrNoProgress
	return s.err
}

// lookahead tries to buffer n bytes from pos; fewer at the end of the input.
func (s *scanner) lookahead(n int) error {
	for s.end-s.pos < n {
		if err := s.fill(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// nextTag skips character data, comments, CDATA sections, processing
// instructions and declarations up to the next start or end tag.
func (s *scanner) nextTag() (tag, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
			s.pos += i
			kind, err := s.markup()
			if err != nil {
				return tag{}, err
			}
			if kind == markupTag {
				return s.readTag()
			}
			if err := s.skipMarkup(kind); err != nil {
				return tag{}, err
			}
			continue
		}
		s.pos = s.end
		if err := s.fill(); err != nil {
			return tag{}, err
		}
	}
}

// markup classifies the markup starting at pos.
func (s *scanner) markup() (markupKind, error) {
	if err := s.lookahead(longestMarkupPrefix); err != nil {
		return 0, err
	}
	rest := s.buf[s.pos:s.end]
	for kind := markupComment; kind <= markupDeclaration; kind++ {
		if bytes.HasPrefix(rest, []byte(markupOpeners[kind])) {
			return kind, nil
		}
	}
	return markupTag, nil
}

func (s *scanner) skipMarkup(kind markupKind) error {
	s.pos += len(markupOpeners[kind])
	return s.past(markupClosers[kind], nil)
}

// past consumes input up to and including delim, writing what precedes it
// to dst unless dst is nil.
func (s *scanner) past(delim string, dst sink) error {
	for {
		rest := s.buf[s.pos:s.end]
		if i := bytes.Index(rest, []byte(delim)); i >= 0 {
			if dst != nil {
				dst.Write(rest[:i])
			}
			s.pos += i + len(delim)
			return nil
		}
		keep := min(len(delim)-1, len(rest))
		if dst != nil {
			dst.Write(rest[:len(rest)-keep])
		}
		s.pos = s.end - keep
		if err := s.fill(); err != nil {
			return unexpectedEOF(err)
		}
	}
}

// readTag reads the start or end tag at pos, up to the first '>' outside a
// quoted attribute value.
func (s *scanner) readTag() (tag, error) {
	start := s.offset()
	scanned := 1
	var quote byte
	for {
		for i := s.pos + scanned; i < s.end; i++ {
			switch c := s.buf[i]; {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '>':
				return s.makeTag(start, i), nil
			}
		}
		scanned = s.end - s.pos
		if scanned >= maxTagBytes {
			return tag{}, errTagTooLong
		}
		if err := s.fill(); err != nil {
			return tag{}, unexpectedEOF(err)
		}
	}
}

func (s *scanner) makeTag(start int64, gt int) tag {
	body := s.buf[s.pos+1 : gt]
	s.pos = gt + 1
	t := tag{offset: start}
	switch {
	case len(body) > 0 && body[0] == '/':
		t.end, body = true, body[1:]
	case len(body) > 0 && body[len(body)-1] == '/':
		t.empty, body = true, body[:len(body)-1]
	}
	n := 0
	for n < len(body) && !isSpace(body[n]) {
		n++
	}
	t.name, t.attrs = body[:n], body[n:]
	return t
}

// readChars decodes character data into dst up to the next tag, leaving pos
// at its '<'. CDATA sections are copied, comments and processing
// instructions dropped.
func (s *scanner) readChars(dst sink) error {
	for {
		data := s.buf[s.pos:s.end]
		lt := bytes.IndexByte(data, '<')
		if lt >= 0 {
			data = data[:lt]
		}
		n := decodeChars(dst, data, lt >= 0)
		s.pos += n
		if lt >= 0 && n == len(data) {
			kind, err := s.markup()
			if err != nil {
				return err
			}
			switch kind {
			case markupTag:
				return nil
			case markupCDATA:
				s.pos += len(markupOpeners[kind])
				err = s.past(markupClosers[kind], dst)
			default:
				err = s.skipMarkup(kind)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := s.fill(); err != nil {
			return unexpectedEOF(err)
		}
	}
}

// readLeaf reads the character data of the element whose start tag t was
// just read, through its end tag. Child elements are skipped.
func (s *scanner) readLeaf(t tag, dst sink) error {
	if t.empty {
		return nil
	}
	for depth := 0; ; {
		if depth == 0 {
			if err := s.readChars(dst); err != nil {
				return err
			}
		}
		child, err := s.nextTag()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case child.end && depth == 0:
			return nil
		case child.end:
			depth--
		case !child.empty:
			depth++
		}
	}
}

// skip consumes the element whose start tag t was just read.
func (s *scanner) skip(t tag) error {
	if t.empty || t.end {
		return nil
	}
	for depth := 1; depth > 0; {
		child, err := s.nextTag()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case child.end:
			depth--
		case !child.empty:
			depth++
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// attr returns the raw value of attribute name in attrs.
func attr(attrs []byte, name string) ([]byte, bool) {
	for {
		attrs = trimLeftSpace(attrs)
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return nil, false
		}
		key := bytes.TrimRight(attrs[:eq], " \t\r\n")
		rest := trimLeftSpace(attrs[eq+1:])
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, false
		}
		closing := bytes.IndexByte(rest[1:], rest[0])
		if closing < 0 {
			return nil, false
		}
		if string(key) == name {
			return rest[1 : 1+closing], true
		}
		attrs = rest[closing+2:]
	}
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}
