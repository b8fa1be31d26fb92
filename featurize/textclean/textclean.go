// Package textclean turns the HTML of a post into readable plain text in one hand-written pass
// over the input: no regular expressions, no DOM, and no allocation beyond the output. It is
// total: any input, however malformed or invalid, gives valid UTF-8 and never panics.
//
// Rules:
//   - Paragraph blocks (<p>, headings, <blockquote>, <pre>, <table>, <hr>, outermost lists, ...)
//     are separated by a blank line; line blocks (<div>, <li>, <tr>, <dt>, <dd>, nested lists)
//     start a new line; <br> breaks the line, and two or more <br> in a row leave one blank line.
//   - List items are marked "- ", items of ordered lists "1. ", "2. ", ... (honouring <ol start>);
//     nested lists are indented by two spaces per level (at most 10 levels deep).
//   - Code blocks (<pre>, with or without <code>) are fenced with ``` lines, chosen over a
//     4-space indent because the code inside the fence stays byte for byte as written (after
//     entity decoding; CR LF and lone CR become LF, as an HTML parser reads them). A fence is one
//     backtick longer than the longest backtick run of the code it holds.
//   - Inline <code> outside <pre> is wrapped in single backticks.
//   - A link keeps its text; the URL follows in parentheses unless the text already is the URL
//     (ignoring a scheme, a trailing slash and backticks) or the URL is empty, "#..." or
//     "javascript:". A link without text gives nothing.
//   - <img alt="x"> gives "[x]"; an image without alt text gives nothing.
//   - <script> and <style> are dropped with their content, comments and declarations too.
//   - Character references are decoded: numeric ones (with WHATWG fix-ups: Windows-1252 for
//     0x80-0x9F, U+FFFD for 0, surrogates and out of range), the HTML 4 names and the usual
//     HTML 5 extras from a built-in table, and any other HTML 5 name through package html.
//     amp, lt, gt, quot and nbsp are also decoded without their ';' when no letter, digit or
//     '=' follows. Anything else is left as written.
//   - Outside code blocks, runs of ASCII whitespace collapse to one space and no-break spaces
//     (U+00A0, &nbsp;) count as ordinary spaces; inside code blocks they become plain spaces.
//   - The result has no leading or trailing whitespace, and invalid UTF-8 becomes U+FFFD.
//
// Malformed markup degrades the way a browser would read it, except that a '<' that never
// reaches its '>' is kept as text rather than dropping the rest of the input: unclosed elements
// end with the input (fences and backticks are closed), stray end tags are ignored, unquoted
// attributes are read, and a '<' not followed by a letter, '/', '!' or '?' is text.
package textclean

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// HTMLToText returns the readable plain text of an HTML fragment.
func HTMLToText(html string) string {
	c := converters.Get().(*converter)
	out := c.run(c.buf[:0], html)
	text := string(out)
	if cap(out) <= maxPooledBuffer {
		c.buf = out
	}
	converters.Put(c)
	return text
}

// AppendHTMLText appends the readable plain text of an HTML fragment to dst and returns the
// extended buffer. The appended text is trimmed on its own, whatever dst ends with.
func AppendHTMLText(dst []byte, html string) []byte {
	c := converters.Get().(*converter)
	dst = c.run(dst, html)
	converters.Put(c)
	return dst
}

// run converts html onto dst, reusing the converter's buffers.
func (c *converter) run(dst []byte, html string) []byte {
	buf, lists := c.buf, c.lists[:0]
	if cap(lists) > maxPooledLists {
		lists = nil
	}
	*c = converter{out: dst, base: len(dst), valid: utf8.ValidString(html), lists: lists, buf: buf}
	c.convert(html)
	out := c.out
	c.out = nil
	return out
}

// Bounds of the buffers a pooled converter keeps between calls.
const (
	maxPooledBuffer = 1 << 20
	maxPooledLists  = 64
)

var converters = sync.Pool{New: func() any { return new(converter) }}

// sep is a separator owed before the next content; a stronger one absorbs a weaker one.
type sep uint8

const (
	sepNone sep = iota
	sepSpace
	sepLine
	sepPara
)

var separators = [...]string{sepNone: "", sepSpace: " ", sepLine: "\n", sepPara: "\n\n"}

const (
	maxListIndent = 10 // nesting levels of list indentation
	listIndent    = "  "
)

// converter holds the state of one conversion. Separators, list markers, code fences and
// backticks are owed lazily and written only when content follows them, so empty elements
// leave nothing and the output is trimmed by construction.
type converter struct {
	buf   []byte // output buffer kept for HTMLToText
	out   []byte
	base  int  // len(out) when the conversion started: nothing is owed before it
	valid bool // the input is valid UTF-8
	// lastGT is the index of the last '>' of the input: no tag starting after it can end, which
	// keeps inputs full of unclosed tags linear.
	lastGT int

	sep  sep
	owed bool // something is owed before the next content: see flush

	item        bool // a list marker is owed
	itemIndent  int
	itemOrdered bool
	itemNum     int
	lists       []list

	cells int // cells opened in the current table row

	pre        int  // depth of open <pre> elements
	fenceOwed  bool // a <pre> has no content yet
	fenceAt    int  // index of the open fence in out
	fenceStart int  // index of the code after the open fence

	code     int  // depth of open inline <code> elements outside <pre>
	tickOwed bool // the opening backtick is owed
	tickOpen bool // the opening backtick was written

	link link
}

type list struct {
	ordered bool
	next    int
}

type link struct {
	open  bool
	href  string // raw attribute value
	start int    // index of the link text in out, -1 until some is written
}

func (c *converter) convert(s string) {
	c.lastGT = strings.LastIndexByte(s, '>')
	for i := 0; i < len(s); {
		j := indexByte(s, i, '<')
		c.text(s[i:j])
		if j == len(s) {
			break
		}
		i = c.markup(s, j)
	}
	c.finish()
}

func (c *converter) finish() {
	c.closeCode()
	c.closeLink()
	if c.pre > 0 {
		c.pre = 1
		c.closePre()
	}
}

// owe records a separator owed before the next content.
func (c *converter) owe(s sep) {
	if s > c.sep {
		c.sep = s
		c.owed = true
	}
}

// block owes the separator of a block boundary. A list marker that is still owed keeps the
// boundary at a line break, so that "<li><p>x" reads "- x".
func (c *converter) block(s sep) {
	if c.item && s > sepLine {
		s = sepLine
	}
	c.owe(s)
}

// lineBreak handles <br>: a line break, or a blank line after one.
func (c *converter) lineBreak() {
	if c.sep >= sepLine {
		c.block(sepPara)
		return
	}
	c.block(sepLine)
}

// begin writes what is owed before content.
func (c *converter) begin() {
	if c.owed {
		c.flush()
	}
}

func (c *converter) flush() {
	c.owed = false
	if len(c.out) > c.base {
		c.out = append(c.out, separators[c.sep]...)
	}
	c.sep = sepNone
	if c.item {
		c.writeMarker()
	}
	if c.fenceOwed {
		c.openFence()
	}
	if c.tickOwed {
		c.tickOwed, c.tickOpen = false, true
		c.out = append(c.out, '`')
	}
	if c.link.open && c.link.start < 0 {
		c.link.start = len(c.out)
	}
}

// content writes text that is not whitespace to collapse.
func (c *converter) content(s string) {
	if s == "" {
		return
	}
	c.begin()
	if c.valid {
		c.out = append(c.out, s...)
		return
	}
	c.out = appendValid(c.out, s)
}

func (c *converter) contentRune(r rune) {
	c.begin()
	c.out = utf8.AppendRune(c.out, r)
}

func appendValid(dst []byte, s string) []byte {
	if utf8.ValidString(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// indexByte is strings.IndexByte from i, returning len(s) when b is absent.
func indexByte(s string, i int, b byte) int {
	if k := strings.IndexByte(s[i:], b); k >= 0 {
		return i + k
	}
	return len(s)
}
