package textclean

import "unicode/utf8"

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
