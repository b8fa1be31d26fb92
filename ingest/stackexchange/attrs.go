package stackexchange

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// maxEntityBytes bounds the search for the ';' closing an entity; it leaves
// room for character references with leading zeros.
const maxEntityBytes = 32

// attrIter walks the name="value" pairs of a row's attribute bytes. Values
// are raw: still XML-escaped.
type attrIter struct {
	rest        []byte
	name, value []byte
	err         error
}

func (a *attrIter) next() bool {
	rest := a.rest
	i := skipSpace(rest, 0)
	if i == len(rest) {
		return false
	}
	eq := indexShortGap(rest[i:], '=')
	if eq < 0 {
		a.err = fmt.Errorf("stackexchange: attribute without a value: %q", clip(rest[i:]))
		return false
	}
	name := trimSpaceRight(rest[i : i+eq])
	if !isAttrName(name) {
		a.err = fmt.Errorf("stackexchange: malformed attribute name %q", clip(name))
		return false
	}
	q := skipSpace(rest, i+eq+1)
	if q == len(rest) || (rest[q] != '"' && rest[q] != '\'') {
		a.err = fmt.Errorf("stackexchange: attribute %s: value is not quoted", name)
		return false
	}
	n := bytes.IndexByte(rest[q+1:], rest[q])
	if n < 0 {
		a.err = fmt.Errorf("stackexchange: attribute %s: unterminated value", name)
		return false
	}
	a.name = name
	a.value = rest[q+1 : q+1+n]
	a.rest = rest[q+2+n:]
	return true
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// notInName marks the bytes that cannot occur in an attribute name.
var notInName = [256]bool{' ': true, '\t': true, '\r': true, '\n': true,
	'"': true, '\'': true, '<': true, '>': true, '&': true, '/': true, '=': true}

func isAttrName(name []byte) bool {
	for _, c := range name {
		if notInName[c] {
			return false
		}
	}
	return len(name) > 0
}

// shortGap is how far indexShortGap looks with a plain loop before it
// switches to the vectorised search, whose call costs more than a short scan.
const shortGap = 16

// indexShortGap is bytes.IndexByte tuned for c being near, as entities are
// in escaped HTML and '=' is in attribute names.
func indexShortGap(b []byte, c byte) int {
	n := min(len(b), shortGap)
	for i, x := range b[:n] {
		if x == c {
			return i
		}
	}
	if i := bytes.IndexByte(b[n:], c); i >= 0 {
		return n + i
	}
	return -1
}

// appendUnescaped appends src to dst with XML entities decoded. No entity
// is shorter than its decoded UTF-8, so dst grows by at most len(src) and
// is written in place.
func appendUnescaped(dst, src []byte) ([]byte, error) {
	w := len(dst)
	dst = slices.Grow(dst, len(src))[:w+len(src)]
	for {
		amp := copyUntilAmp(dst[w:], src)
		w += amp
		if amp == len(src) {
			return dst[:w], nil
		}
		r, n, err := decodeEntity(src[amp:])
		if err != nil {
			return dst[:w], err
		}
		if r < utf8.RuneSelf {
			dst[w] = byte(r)
			w++
		} else {
			w += utf8.EncodeRune(dst[w:], r)
		}
		src = src[amp+n:]
	}
}

// copyUntilAmp copies src up to its first '&' into dst, which must be at
// least as long as src, and returns how many bytes it copied. In escaped
// HTML entities are a few bytes apart, so it works 8 bytes at a time (bytes
// after the '&' may be written too) before switching to a vectorised search.
func copyUntilAmp(dst, src []byte) int {
	const ones, highs, amps = 0x0101010101010101, 0x8080808080808080, '&' * 0x0101010101010101
	dst = dst[:len(src)]
	i := 0
	for ; i+8 <= len(src) && i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		binary.LittleEndian.PutUint64(dst[i:], x)
		y := x ^ amps // zero bytes where src has '&'
		if found := (y - ones) &^ y & highs; found != 0 {
			return i + bits.TrailingZeros64(found)/8
		}
	}
	if i+8 <= len(src) {
		amp := bytes.IndexByte(src[i:], '&')
		if amp < 0 {
			amp = len(src) - i
		}
		return i + copy(dst[i:], src[i:i+amp])
	}
	for ; i < len(src); i++ {
		if src[i] == '&' {
			return i
		}
		dst[i] = src[i]
	}
	return i
}

// checkEntities validates the entities of a value that is not decoded.
func checkEntities(src []byte) error {
	for {
		amp := bytes.IndexByte(src, '&')
		if amp < 0 {
			return nil
		}
		_, n, err := decodeEntity(src[amp:])
		if err != nil {
			return err
		}
		src = src[amp+n:]
	}
}

// decodeEntity decodes the entity that s starts with ("&lt;", "&#xA;", ...)
// and returns its character and its length in bytes.
func decodeEntity(s []byte) (rune, int, error) {
	if r, n := decodeCommonEntity(s); n > 0 {
		return r, n, nil
	}
	semi := bytes.IndexByte(s[:min(len(s), maxEntityBytes)], ';')
	if semi < 0 {
		return 0, 0, fmt.Errorf("stackexchange: unterminated entity %q", clip(s))
	}
	switch body := s[1:semi]; string(body) {
	case "lt":
		return '<', semi + 1, nil
	case "gt":
		return '>', semi + 1, nil
	case "amp":
		return '&', semi + 1, nil
	case "quot":
		return '"', semi + 1, nil
	case "apos":
		return '\'', semi + 1, nil
	default:
		if r, ok := parseCharRef(body); ok {
			return r, semi + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("stackexchange: bad entity %q", s[:semi+1])
}

// decodeCommonEntity decodes the entities that make up most of escaped
// HTML without searching for the ';'. It returns n == 0 for any other.
func decodeCommonEntity(s []byte) (r rune, n int) {
	if len(s) < 4 {
		return 0, 0
	}
	switch {
	case s[1] == 'l' && s[2] == 't' && s[3] == ';':
		return '<', 4
	case s[1] == 'g' && s[2] == 't' && s[3] == ';':
		return '>', 4
	case len(s) >= 5 && string(s[1:5]) == "amp;":
		return '&', 5
	case len(s) >= 5 && string(s[1:5]) == "#xA;":
		return '\n', 5
	case len(s) >= 6 && string(s[1:6]) == "quot;":
		return '"', 6
	}
	return 0, 0
}

// parseCharRef parses "#NN" or "#xHH". NUL, surrogates and values beyond
// U+10FFFF are rejected; other control characters are kept, as real dumps
// contain them.
func parseCharRef(body []byte) (rune, bool) {
	if len(body) < 2 || body[0] != '#' {
		return 0, false
	}
	digits, base := body[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, false
	}
	var r rune
	for _, c := range digits {
		d := digitValue(c)
		if d >= base {
			return 0, false
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return 0, false
		}
	}
	return r, r != 0 && utf8.ValidRune(r)
}

func digitValue(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return math.MaxInt32
}

// parseIntAttr parses a decimal attribute value such as Id="42".
func parseIntAttr(name, value []byte) (int64, error) {
	if bytes.IndexByte(value, '&') >= 0 {
		var scratch [maxEntityBytes]byte
		unescaped, err := appendUnescaped(scratch[:0], value)
		if err != nil {
			return 0, err
		}
		value = unescaped
	}
	n, ok := parseInt(value)
	if !ok {
		return 0, fmt.Errorf("stackexchange: attribute %s: not an integer: %q", name, clip(value))
	}
	return n, nil
}

// parseInt parses an optionally negative decimal int64 with no spaces.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// clip shortens b for error messages.
func clip(b []byte) []byte {
	const maxShown = 40
	return b[:min(len(b), maxShown)]
}
