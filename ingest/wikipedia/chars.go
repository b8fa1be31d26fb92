package wikipedia

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxEntityBytes is the longest entity reference decoded ("&#x10FFFF;").
const maxEntityBytes = 10

// sink receives decoded character data; *strings.Builder, *bytes.Buffer,
// *fieldBuffer and *textBuffer are sinks.
type sink interface {
	Write(p []byte) (int, error)
	WriteByte(c byte) error
	WriteRune(r rune) (int, error)
}

// decodeChars writes data to dst with its entity references decoded and
// returns how many bytes it consumed. Unless final, it stops at an entity
// reference that may continue past the end of data.
func decodeChars(dst sink, data []byte, final bool) int {
	n := 0
	for {
		amp := bytes.IndexByte(data[n:], '&')
		if amp < 0 {
			dst.Write(data[n:])
			return len(data)
		}
		dst.Write(data[n : n+amp])
		n += amp
		r, size := entity(data[n:])
		switch {
		case size > 0:
			dst.WriteRune(r)
			n += size
		case size == 0 && !final:
			return n
		default: // not an entity reference: keep the '&'
			dst.WriteByte('&')
			n++
		}
	}
}

// entity decodes the reference at the start of b (which begins with '&').
// size is 0 when b may be a reference cut short, -1 when it is none.
func entity(b []byte) (r rune, size int) {
	semi := bytes.IndexByte(b[:min(len(b), maxEntityBytes)], ';')
	if semi < 0 {
		if len(b) < maxEntityBytes {
			return 0, 0
		}
		return 0, -1
	}
	switch name := b[1:semi]; string(name) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "quot":
		r = '"'
	case "apos":
		r = '\''
	default:
		r = charRef(name)
	}
	if r < 0 {
		return 0, -1
	}
	return r, semi + 1
}

// charRef decodes "#65" or "#x41"; -1 if name is not a valid one.
func charRef(name []byte) rune {
	if len(name) < 2 || name[0] != '#' {
		return -1
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return -1
	}
	var r rune
	for _, c := range digits {
		d := hexDigit(c)
		if d < 0 || d >= base {
			return -1
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return -1
		}
	}
	if r == 0 || !utf8.ValidRune(r) {
		return -1
	}
	return r
}

func hexDigit(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// fieldBuffer collects a short field (title, comment, user name, number),
// silently keeping only its first max bytes so that nothing but the
// revision text grows with the input.
type fieldBuffer struct {
	b         []byte
	max       int
	truncated bool
}

func (f *fieldBuffer) reset() { f.b, f.truncated = f.b[:0], false }

func (f *fieldBuffer) Write(p []byte) (int, error) {
	room := f.max - len(f.b)
	if len(p) > room {
		p, f.truncated = p[:max(room, 0)], true
	}
	f.b = append(f.b, p...)
	return len(p), nil
}

func (f *fieldBuffer) WriteByte(c byte) error {
	f.Write([]byte{c})
	return nil
}

func (f *fieldBuffer) WriteRune(r rune) (int, error) {
	var enc [utf8.UTFMax]byte
	return f.Write(utf8.AppendRune(enc[:0], r))
}

// String is the field, without a rune cut in two by the truncation.
func (f *fieldBuffer) String() string {
	if f.truncated {
		return strings.ToValidUTF8(string(f.b), "")
	}
	return string(f.b)
}

// textBuffer collects a revision text. It trusts the size announced by
// <text bytes="N"> to allocate once, but only after the text has proved
// large, so a lying attribute cannot make it allocate much.
type textBuffer struct {
	strings.Builder
	hint int
}

const (
	trustHintAfter = 64 << 10
	maxHint        = 1 << 30
)

func (t *textBuffer) reserve(n int) {
	need := t.Len() + n
	if need <= t.Cap() {
		return
	}
	if t.hint >= need && t.hint <= maxHint && (t.hint <= trustHintAfter || t.Len() >= trustHintAfter) {
		need = t.hint
	}
	t.Grow(need - t.Len())
}

func (t *textBuffer) Write(p []byte) (int, error) {
	t.reserve(len(p))
	return t.Builder.Write(p)
}

func (t *textBuffer) WriteByte(c byte) error {
	t.reserve(1)
	return t.Builder.WriteByte(c)
}

func (t *textBuffer) WriteRune(r rune) (int, error) {
	t.reserve(utf8.RuneLen(r))
	return t.Builder.WriteRune(r)
}
