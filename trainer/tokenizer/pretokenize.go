package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// MaxWordBytes is the longest word the pre-tokenizer produces: longer runs
// are cut on a rune boundary. It bounds token length and encoding cost.
const MaxWordBytes = 256

type class uint8

const (
	classSpace class = iota
	classLetter
	classDigit
	classOther
)

var asciiClass = func() (t [utf8.RuneSelf]class) {
	for c := range t {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			t[c] = classSpace
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			t[c] = classLetter
		case c >= '0' && c <= '9':
			t[c] = classDigit
		default:
			t[c] = classOther
		}
	}
	return t
}()

// classAt returns the class of the rune starting at text[i] and its size.
func classAt(text []byte, i int) (class, int) {
	if c := text[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRune(text[i:])
	switch {
	case r == utf8.RuneError && n == 1:
		return classOther, 1
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return classLetter, n
	case unicode.IsNumber(r):
		return classDigit, n
	case unicode.IsSpace(r):
		return classSpace, n
	}
	return classOther, n
}

// wordEnd returns the end of the word starting at text[i] (i < len(text)).
func wordEnd(text []byte, i int) int {
	if text[i] == ' ' && i+1 < len(text) {
		if c, n := classAt(text, i+1); c != classSpace {
			return runEnd(text, i, i+1+n, c)
		}
	}
	c, n := classAt(text, i)
	j := runEnd(text, i, i+n, c)
	if c == classSpace && j < len(text) && j-1 > i && text[j-1] == ' ' {
		if next, _ := classAt(text, j); next != classSpace {
			j-- // the last space starts the next word
		}
	}
	return j
}

// runEnd extends the word text[start:j] over the runes of class c that
// follow, up to MaxWordBytes bytes.
func runEnd(text []byte, start, j int, c class) int {
	for j < len(text) {
		next, n := classAt(text, j)
		if next != c || j+n-start > MaxWordBytes {
			break
		}
		j += n
	}
	return j
}

// words calls fn with each word of text, in order; they concatenate to text.
func words(text []byte, fn func(word []byte)) {
	for i := 0; i < len(text); {
		j := wordEnd(text, i)
		fn(text[i:j])
		i = j
	}
}
