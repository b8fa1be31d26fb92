package synth

import (
	"strconv"
	"strings"
)

// A tmpl is a sentence or snippet compiled once into tokens whose literal
// parts are already escaped for the Body attribute, so rendering is mostly
// appending strings. Slots are written {X} with X one of:
//
//	A, B  topic words      L  language or tool name
//	U     documentation URL E  the fact's expression
//	V     a value          I  identifier for code
type tmpl struct {
	tokens []token
	closed bool // ends with its own punctuation
}

type tokenKind uint8

const (
	litToken  tokenKind = iota // escaped text, written as is
	wordToken                  // plain letters that style may garble
	slotToken
)

type token struct {
	kind tokenKind
	text string
	slot byte
}

// compileMode says what a template's source is.
type compileMode uint8

const (
	htmlMode  compileMode = iota // HTML prose: tags and entities kept, words styled
	codeMode                     // plain text inside HTML (code): HTML-escaped, never styled
	plainMode                    // plain text that is not HTML (titles, excerpts)
)

func compile(src string, mode compileMode) tmpl {
	c := compiler{mode: mode}
	for i := 0; i < len(src); {
		i = c.step(src, i)
	}
	c.flush()
	c.t.closed = strings.ContainsAny(src[len(src)-1:], ".?!:\n")
	return c.t
}

func compileAll(mode compileMode, srcs ...string) []tmpl {
	ts := make([]tmpl, len(srcs))
	for i, s := range srcs {
		ts[i] = compile(s, mode)
	}
	return ts
}

type compiler struct {
	t     tmpl
	mode  compileMode
	lit   []byte
	inTag bool
}

// step consumes one token or character of src at i and returns the next
// position.
func (c *compiler) step(src string, i int) int {
	ch := src[i]
	html := c.mode == htmlMode
	switch {
	case isSlot(src, i):
		c.flush()
		c.t.tokens = append(c.t.tokens, token{kind: slotToken, slot: src[i+1]})
		return i + 3
	case html && ch == '<':
		c.inTag = true
	case html && ch == '>':
		c.inTag = false
	case html && ch == '&' && !c.inTag:
		n := strings.IndexByte(src[i:], ';')
		if n < 0 {
			panic("synth: unterminated entity in template " + strconv.Quote(src))
		}
		end := i + n + 1
		c.lit = append(c.lit, src[i:end]...)
		return end
	case html && !c.inTag && isLetter(ch):
		end := i
		for end < len(src) && isLetter(src[end]) {
			end++
		}
		c.flush()
		c.t.tokens = append(c.t.tokens, token{kind: wordToken, text: src[i:end]})
		return end
	}
	c.lit = append(c.lit, ch)
	return i + 1
}

func (c *compiler) flush() {
	if len(c.lit) == 0 {
		return
	}
	text := string(c.lit)
	if c.mode == codeMode {
		text = htmlText(text)
	}
	c.t.tokens = append(c.t.tokens, token{kind: litToken, text: attr(text)})
	c.lit = c.lit[:0]
}

func isSlot(s string, i int) bool {
	return i+2 < len(s) && s[i] == '{' && s[i+2] == '}' && s[i+1] >= 'A' && s[i+1] <= 'Z'
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// fill holds slot values. a, b, l and ident are attribute-safe by
// construction (checked in init); u and e are already escaped.
type fill struct {
	a, b, l, u, e, ident string
	v                    int
}

// style garbles prose according to an answer's clarity.
type style struct {
	typo, shout float64 // per-word probabilities
	lowerStart  bool    // sentences start lowercase
	runOn       bool    // sentences joined by commas and "and"
	bang        float64 // probability of "!!!" instead of "."
	paragraphs  bool
	code        bool // code goes in a <pre><code> block
}

// renderer appends rendered templates to b.
type renderer struct {
	b  []byte
	r  *rng
	st style
}

func (w *renderer) lit(s string) { w.b = append(w.b, s...) }

func (w *renderer) render(t *tmpl, f *fill) {
	for i := range t.tokens {
		tok := &t.tokens[i]
		switch tok.kind {
		case litToken:
			w.b = append(w.b, tok.text...)
		case wordToken:
			w.word(tok.text, i == 0)
		case slotToken:
			w.slot(tok.slot, f, i == 0)
		}
	}
}

func (w *renderer) slot(s byte, f *fill, first bool) {
	switch s {
	case 'A':
		w.word(f.a, first)
	case 'B':
		w.word(f.b, first)
	case 'L':
		w.word(f.l, first)
	case 'U':
		w.lit(f.u)
	case 'E':
		w.lit(f.e)
	case 'I':
		w.lit(f.ident)
	case 'V':
		w.b = strconv.AppendInt(w.b, int64(f.v), 10)
	default:
		panic("synth: unknown template slot {" + string(s) + "}")
	}
}

// word appends an ASCII word and applies the style's typos and shouting.
func (w *renderer) word(text string, first bool) {
	start := len(w.b)
	w.b = append(w.b, text...)
	word := w.b[start:]
	if first && w.st.lowerStart {
		lowerFirst(word)
	}
	if w.st.typo > 0 && len(word) > 3 && w.r.chance(w.st.typo) {
		swapLetters(word, 1+w.r.IntN(len(word)-2))
	}
	if w.st.shout > 0 && w.r.chance(w.st.shout) {
		upper(word)
	}
}

func lowerFirst(b []byte) {
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
}

func swapLetters(b []byte, i int) {
	if isLetter(b[i-1]) && isLetter(b[i]) {
		b[i-1], b[i] = b[i], b[i-1]
	}
}

func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// A line is one sentence: a template and, optionally, a second one joined
// with a comma (a fact and its explanation).
type line struct {
	t, then *tmpl
	f       fill
}

var runOnJoins = []string{", and ", ", ", "... ", " and then ", " "}

// paragraph renders lines as one <p>, ending sentences per the style.
func (w *renderer) paragraph(lines []line) {
	w.lit(openP)
	for i := range lines {
		l := &lines[i]
		w.render(l.t, &l.f)
		if l.then != nil {
			w.lit(", ")
			w.render(l.then, &l.f)
		}
		w.endSentence(l, i == len(lines)-1)
	}
	w.lit(closeP)
}

func (w *renderer) endSentence(l *line, last bool) {
	closed := l.t.closed
	if l.then != nil {
		closed = l.then.closed
	}
	if w.st.runOn && !last {
		w.lit(pick(w.r, runOnJoins))
		return
	}
	switch {
	case closed:
	case w.st.bang > 0 && w.r.chance(w.st.bang):
		w.lit("!!!")
	default:
		w.lit(".")
	}
	if !last {
		w.lit(" ")
	}
}
