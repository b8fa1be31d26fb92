package reddit

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The lenient JSON primitives the line parser is built from. They work on one
// line in memory and never recurse, so no input can exhaust the stack.

var (
	errEndOfLine          = errors.New("unexpected end of line")
	errUnterminatedString = errors.New("unterminated string")
	errMismatchedBracket  = errors.New("mismatched bracket")
	errNotObject          = errors.New("line is not a JSON object")
)

// scanner walks one line.
type scanner struct {
	b     []byte
	i     int
	stack []byte // expected closing brackets while skipping nested values
}

func (s *scanner) reset(b []byte) {
	s.b, s.i = b, 0
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end of the line.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str consumes the string at s.i (which is '"') and returns its raw,
// still-escaped content.
func (s *scanner) str() ([]byte, error) {
	start := s.i + 1
	for j := start; j <= len(s.b); j++ {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			break
		}
		j += k
		if !endsInEscape(s.b[start:j]) {
			s.i = j + 1
			return s.b[start:j], nil
		}
	}
	s.i = len(s.b)
	return nil, errUnterminatedString
}

// endsInEscape reports whether b ends in an odd number of backslashes, so
// that a quote after it is escaped.
func endsInEscape(b []byte) bool {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// literal consumes a number, true, false or null and returns its text. It
// checks only that the text could start such a value.
func (s *scanner) literal() ([]byte, error) {
	start := s.i
	for s.i < len(s.b) && isLiteralByte(s.b[s.i]) {
		s.i++
	}
	lit := s.b[start:s.i]
	switch {
	case len(lit) == 0 && s.i == len(s.b):
		return nil, errEndOfLine
	case len(lit) == 0:
		return nil, unexpected(s.b[s.i])
	case isKeyword(lit) || lit[0] == '-' || isDigit(lit[0]):
		return lit, nil
	}
	return nil, errors.New("invalid value " + strconv.Quote(string(lit)))
}

func isLiteralByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '-' || c == '+' || c == '.'
}

func isKeyword(lit []byte) bool {
	switch string(lit) {
	case "true", "false", "null":
		return true
	}
	return false
}

func unexpected(c byte) error {
	return errors.New("unexpected character " + strconv.QuoteRune(rune(c)))
}

// skipValue consumes any value without decoding it.
func (s *scanner) skipValue() error {
	switch s.peek() {
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		return s.skipNested()
	}
	_, err := s.literal()
	return err
}

// skipNested consumes an object or array, matching brackets and skipping
// strings; what lies between them is not checked.
func (s *scanner) skipNested() error {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
			continue
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return errMismatchedBracket
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return errEndOfLine
}

// appendString appends the decoded content of a JSON string (raw, between the
// quotes) to dst. Invalid UTF-8 and lone surrogates become U+FFFD, one per
// bad byte, as in encoding/json; an invalid escape is kept literally.
func appendString(dst, raw []byte) []byte {
	for {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 {
			return appendValidUTF8(dst, raw)
		}
		dst = appendValidUTF8(dst, raw[:i])
		var n int
		dst, n = appendEscape(dst, raw[i:])
		raw = raw[i+n:]
	}
}

// appendEscape decodes the escape sequence at the start of esc (which begins
// with a backslash) and returns how many bytes it used.
func appendEscape(dst, esc []byte) ([]byte, int) {
	if len(esc) < 2 {
		return append(dst, esc...), len(esc)
	}
	switch c := esc[1]; c {
	case '"', '\\', '/':
		return append(dst, c), 2
	case 'b':
		return append(dst, '\b'), 2
	case 'f':
		return append(dst, '\f'), 2
	case 'n':
		return append(dst, '\n'), 2
	case 'r':
		return append(dst, '\r'), 2
	case 't':
		return append(dst, '\t'), 2
	case 'u':
		return appendUnicodeEscape(dst, esc)
	}
	return append(dst, esc[:2]...), 2
}

// appendUnicodeEscape decodes \uXXXX, joining a surrogate pair written as two
// escapes.
func appendUnicodeEscape(dst, esc []byte) ([]byte, int) {
	r, ok := hex4(esc[2:])
	if !ok {
		return append(dst, esc[:2]...), 2
	}
	if !utf16.IsSurrogate(r) {
		return utf8.AppendRune(dst, r), 6
	}
	if len(esc) >= 12 && esc[6] == '\\' && esc[7] == 'u' {
		if low, ok := hex4(esc[8:]); ok {
			if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
				return utf8.AppendRune(dst, pair), 12
			}
		}
	}
	return utf8.AppendRune(dst, utf8.RuneError), 6
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// appendValidUTF8 appends b, replacing each byte of invalid UTF-8 with U+FFFD.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// unescapeHTML decodes &amp;, &lt; and &gt; in place, in one left-to-right
// pass, and returns the new length.
func unescapeHTML(b []byte) int {
	r := bytes.IndexByte(b, '&')
	if r < 0 {
		return len(b)
	}
	w := r
	for {
		c, n := htmlEntity(b[r:])
		if n == 0 {
			c, n = '&', 1
		}
		b[w] = c
		w, r = w+1, r+n
		next := bytes.IndexByte(b[r:], '&')
		if next < 0 {
			return w + copy(b[w:], b[r:])
		}
		w += copy(b[w:], b[r:r+next])
		r += next
	}
}

func htmlEntity(b []byte) (byte, int) {
	switch {
	case bytes.HasPrefix(b, []byte("&amp;")):
		return '&', 5
	case bytes.HasPrefix(b, []byte("&lt;")):
		return '<', 4
	case bytes.HasPrefix(b, []byte("&gt;")):
		return '>', 4
	}
	return 0, 0
}

// parseInt reads an integer from the text of a number, leniently: "12",
// "-3", "1.5e3" (truncated toward zero) and surrounding spaces are accepted.
func parseInt(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if n, ok := parseDigits(b); ok {
		return n, true
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// parseDigits is parseInt's fast path: an optional minus and up to 18 digits.
func parseDigits(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
