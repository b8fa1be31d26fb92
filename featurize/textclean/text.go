package textclean

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Byte classes of character data.
const (
	plain uint8 = iota
	space       // whitespace to collapse (in code: a CR to normalize)
	amp         // starts a character reference
	lead        // 0xC2, which may start U+00A0
)

const nbsp = '\u00a0'

var textClass, codeClass [256]uint8

func init() {
	for _, b := range []byte(" \t\n\r\f") {
		textClass[b] = space
	}
	codeClass['\r'] = space
	textClass['&'], codeClass['&'] = amp, amp
	textClass[0xC2], codeClass[0xC2] = lead, lead
}

func isSpace(b byte) bool { return textClass[b] == space }

func nbspAt(s string, i int) bool { return i+1 < len(s) && s[i] == 0xC2 && s[i+1] == 0xA0 }

// runEnd returns the end of the run of ordinary bytes of class table t from i. With words set,
// single spaces between ordinary bytes belong to the run, so that prose is copied a phrase
// rather than a word at a time.
func runEnd(s string, i int, t *[256]uint8, words bool) int {
	for {
		i = skipWords(s, i, t, words)
		for i < len(s) && t[s[i]] == plain {
			i++
		}
		switch {
		case i == len(s) || nbspAt(s, i):
			return i
		case t[s[i]] == lead:
			i++
		case words && s[i] == ' ' && i+1 < len(s) && t[s[i+1]] == plain:
			i += 2
		default:
			return i
		}
	}
}

// skipWords is runEnd's fast path: it advances i 8 bytes at a time over bytes certainly inside
// the run, and stops at the first byte it is not sure of, which runEnd's byte loop then decides.
// The byte loop would step over every byte skipped, a space together with the ordinary byte
// after it, so skipping them leaves runEnd's result unchanged.
func skipWords(s string, i int, t *[256]uint8, words bool) int {
	// i steps by 8 whatever the word holds, so that the next word's load need not wait for the
	// tests of this one.
	if t == &codeClass && !words {
		for ; i+8 <= len(s); i += 8 {
			if m := codeSpecials(word(s, i)); m != 0 {
				return i + firstMarked(m)
			}
		}
		return i
	}
	for ; i+8 <= len(s); i += 8 {
		if m := textUnsure(word(s, i), words); m != 0 {
			return i + firstMarked(m)
		}
	}
	return i
}

// The 8 bytes of a word, least significant first, are tested all at once: a mask has the high
// bit of each byte that passes some test.
const (
	ones  = 0x0101010101010101 // 0x01 in every byte
	highs = 0x8080808080808080 // 0x80 in every byte
)

// word returns the 8 bytes of s from i as a little-endian word: one load.
func word(s string, i int) uint64 { return binary.LittleEndian.Uint64([]byte(s[i : i+8])) }

// firstMarked returns the index of the first byte marked in mask m, 8 for none.
func firstMarked(m uint64) int { return bits.TrailingZeros64(m) / 8 }

// textUnsure marks the bytes of w not certainly inside a run of textClass (or of codeClass):
// all but printable ASCII other than '&' and, with words set, single spaces followed by such a
// byte within w. A space in the last byte of w is marked too, for the byte loop to decide.
func textUnsure(w uint64, words bool) uint64 {
	// Sums of the low 7 bits of each byte cannot carry into the next byte.
	low := w &^ highs
	printable := (low + (0x80-0x21)*ones) &^ (low + ones) &^ w & highs // 0x21 <= b <= 0x7e
	ordinary := printable &^ zeroBytes7(low^'&'*ones)
	if words {
		spaces := zeroBytes7(low^' '*ones) &^ w
		ordinary |= spaces & (ordinary >> 8) // a space followed by an ordinary byte
	}
	return ordinary ^ highs
}

// zeroBytes7 marks the zero bytes of w, which must have no high bit set.
func zeroBytes7(w uint64) uint64 { return ^(w + 0x7f*ones) & highs }

// codeSpecials marks the bytes of w that are not plain in codeClass: '\r', '&' and 0xC2. Only
// its first mark is sure to be right.
func codeSpecials(w uint64) uint64 {
	return bytesEqual(w, '\r') | bytesEqual(w, '&') | bytesEqual(w, 0xc2)
}

// bytesEqual marks the bytes of w equal to b. It is the classic zero-byte test: a borrow can
// mark a byte just above a true mark by mistake, but the first mark is always right.
func bytesEqual(w uint64, b byte) uint64 {
	v := w ^ uint64(b)*ones
	return (v - ones) &^ v & highs
}

// text writes character data found between tags.
func (c *converter) text(s string) {
	if c.pre > 0 {
		c.codeText(s)
		return
	}
	for i := 0; i < len(s); {
		switch {
		case textClass[s[i]] == space:
			c.owe(sepSpace)
			i++
		case s[i] == '&':
			i += c.reference(s[i:], false)
		case nbspAt(s, i):
			c.owe(sepSpace)
			i += 2
		default:
			j := runEnd(s, i, &textClass, true)
			c.content(s[i:j])
			i = j
		}
	}
}

// codeText writes the character data of a code block as it is.
func (c *converter) codeText(s string) {
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\r':
			c.content("\n")
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case s[i] == '&':
			i += c.reference(s[i:], true)
		case nbspAt(s, i):
			c.content(" ")
			i += 2
		default:
			j := runEnd(s, i, &codeClass, false)
			c.content(s[i:j])
			i = j
		}
	}
}

// reference writes the character reference at the start of s, or a lone '&' when s does not
// start with one, and returns the bytes used.
func (c *converter) reference(s string, code bool) int {
	val, r, n := decodeReference(s)
	switch {
	case n == 0:
		c.content("&")
		return 1
	case val == "": // numeric: r holds it
	case len(val) == 1:
		r = rune(val[0])
	case val == string(nbsp):
		r = nbsp
	default:
		c.content(val)
		return n
	}
	if code {
		c.codeRune(r)
	} else {
		c.textRune(r)
	}
	return n
}

func (c *converter) textRune(r rune) {
	if r == nbsp || r < utf8.RuneSelf && isSpace(byte(r)) {
		c.owe(sepSpace)
		return
	}
	c.contentRune(r)
}

func (c *converter) codeRune(r rune) {
	switch r {
	case '\r':
		r = '\n'
	case nbsp:
		r = ' '
	}
	c.contentRune(r)
}

// appendAttrText appends the text of an attribute value: references decoded, whitespace
// collapsed and trimmed.
func appendAttrText(dst []byte, raw string, valid bool) []byte {
	a := converter{out: dst, base: len(dst), valid: valid}
	a.text(raw)
	return a.out
}
