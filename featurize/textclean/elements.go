package textclean

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

func (c *converter) open(t tag, attrs string) {
	if c.pre > 0 {
		c.openInCode(t, attrs)
		return
	}
	switch t {
	case tagPara:
		c.block(sepPara)
	case tagLine:
		c.block(sepLine)
	case tagBr:
		c.lineBreak()
	case tagUL, tagOL:
		c.openList(t == tagOL, attrs)
	case tagItem:
		c.openItem()
	case tagRow:
		c.block(sepLine)
		c.cells = 0
	case tagCell:
		c.openCell()
	case tagPre:
		c.openPre()
	case tagCode:
		c.openCode()
	case tagLink:
		c.openLink(attrs)
	case tagImg:
		c.image(attrs)
	}
}

func (c *converter) close(t tag) {
	if c.pre > 0 {
		c.closeInCode(t)
		return
	}
	switch t {
	case tagPara:
		c.block(sepPara)
	case tagLine, tagRow:
		c.block(sepLine)
	case tagBr: // </br> reads as <br>
		c.lineBreak()
	case tagUL, tagOL:
		c.closeList()
	case tagItem:
		c.closeItem()
	case tagCode:
		c.closeCode()
	case tagLink:
		c.closeLink()
	}
}

// openInCode and closeInCode handle tags inside a code block, where only line breaks, links,
// images and nested blocks count.
func (c *converter) openInCode(t tag, attrs string) {
	switch t {
	case tagBr:
		c.content("\n")
	case tagPre:
		c.pre++
	case tagLink:
		c.openLink(attrs)
	case tagImg:
		c.image(attrs)
	}
}

func (c *converter) closeInCode(t tag) {
	switch t {
	case tagBr:
		c.content("\n")
	case tagPre:
		c.closePre()
	case tagLink:
		c.closeLink()
	}
}

func (c *converter) listSep() sep {
	if len(c.lists) > 0 {
		return sepLine
	}
	return sepPara
}

func (c *converter) openList(ordered bool, attrs string) {
	c.block(c.listSep())
	next := 1
	if ordered {
		next = listStart(attrs)
	}
	c.lists = append(c.lists, list{ordered: ordered, next: next})
}

func listStart(attrs string) int {
	v, _ := attr(attrs, "start")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < -1e9 || n > 1e9 {
		return 1
	}
	return n
}

func (c *converter) closeList() {
	c.item = false
	if len(c.lists) > 0 {
		c.lists = c.lists[:len(c.lists)-1]
	}
	c.block(c.listSep())
}

func (c *converter) openItem() {
	c.item = false // an item still empty gives nothing
	c.block(sepLine)
	c.item, c.owed = true, true
	c.itemIndent = min(max(len(c.lists)-1, 0), maxListIndent)
	c.itemOrdered = false
	if n := len(c.lists); n > 0 && c.lists[n-1].ordered {
		c.itemOrdered, c.itemNum = true, c.lists[n-1].next
		c.lists[n-1].next++
	}
}

func (c *converter) closeItem() {
	c.item = false
	c.block(sepLine)
}

func (c *converter) writeMarker() {
	c.item = false
	if len(c.out) > c.base {
		for range c.itemIndent {
			c.out = append(c.out, listIndent...)
		}
	}
	if c.itemOrdered {
		c.out = strconv.AppendInt(c.out, int64(c.itemNum), 10)
		c.out = append(c.out, ". "...)
		return
	}
	c.out = append(c.out, "- "...)
}

func (c *converter) openCell() {
	if c.cells > 0 {
		c.owe(sepSpace)
		c.content("|")
		c.owe(sepSpace)
	}
	c.cells++
}

func (c *converter) openPre() {
	c.endCode()
	c.block(sepPara)
	c.pre = 1
	c.fenceOwed, c.owed = true, true
}

func (c *converter) openFence() {
	c.fenceOwed = false
	c.fenceAt = len(c.out)
	c.out = append(c.out, "```\n"...)
	c.fenceStart = len(c.out)
}

func (c *converter) closePre() {
	c.pre--
	if c.pre > 0 {
		return
	}
	if c.fenceOwed {
		c.fenceOwed = false
	} else {
		c.closeFence()
	}
	c.block(sepPara)
}

// closeFence ends the code on a line of its own and closes the fence, lengthening both fence
// lines when the code holds a run of three or more backticks.
func (c *converter) closeFence() {
	if c.out[len(c.out)-1] != '\n' {
		c.out = append(c.out, '\n')
	}
	n := max(3, longestRun(c.out[c.fenceStart:], '`')+1)
	if extra := n - 3; extra > 0 {
		c.out = slices.Insert(c.out, c.fenceAt, bytes.Repeat([]byte{'`'}, extra)...)
		if c.link.start > c.fenceAt {
			c.link.start += extra
		}
	}
	for range n {
		c.out = append(c.out, '`')
	}
}

func longestRun(b []byte, x byte) int {
	longest := 0
	for i := bytes.IndexByte(b, x); i >= 0; i = bytes.IndexByte(b, x) {
		b = b[i:]
		n := 0
		for n < len(b) && b[n] == x {
			n++
		}
		longest = max(longest, n)
		b = b[n:]
	}
	return longest
}

func (c *converter) openCode() {
	if c.code == 0 {
		c.tickOwed, c.owed = true, true
	}
	c.code++
}

func (c *converter) closeCode() {
	if c.code == 0 {
		return
	}
	c.code--
	if c.code == 0 {
		c.endCode()
	}
}

// endCode closes the inline code span, however deeply nested.
func (c *converter) endCode() {
	c.code = 0
	c.tickOwed = false
	if c.tickOpen {
		c.tickOpen = false
		c.out = append(c.out, '`')
	}
}

func (c *converter) openLink(attrs string) {
	c.closeLink()
	href, _ := attr(attrs, "href")
	c.link = link{open: true, href: href, start: -1}
	c.owed = true
}

// closeLink follows the link text with its URL in parentheses, unless it adds nothing.
func (c *converter) closeLink() {
	l := c.link
	c.link = link{}
	if !l.open || l.start < 0 {
		return
	}
	textEnd := len(c.out)
	c.out = append(c.out, " ("...)
	urlStart := len(c.out)
	c.out = appendAttrText(c.out, l.href, c.valid)
	if !showURL(c.out[l.start:textEnd], c.out[urlStart:]) {
		c.out = c.out[:textEnd]
		return
	}
	c.out = append(c.out, ')')
}

func showURL(text, url []byte) bool {
	if len(url) == 0 || url[0] == '#' || hasPrefixFold(url, "javascript:") {
		return false
	}
	text = bytes.Trim(text, "`")
	return !bytes.Equal(text, url) && !bytes.Equal(bareURL(text), bareURL(url))
}

var urlSchemes = []string{"https://", "http://", "mailto:"}

// bareURL strips a URL of its scheme and trailing slash.
func bareURL(u []byte) []byte {
	for _, scheme := range urlSchemes {
		if hasPrefixFold(u, scheme) {
			u = u[len(scheme):]
			break
		}
	}
	return bytes.TrimSuffix(u, []byte{'/'})
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

func (c *converter) image(attrs string) {
	alt, _ := attr(attrs, "alt")
	if isBlank(alt) {
		return
	}
	c.content("[")
	c.out = appendAttrText(c.out, alt, c.valid)
	c.out = append(c.out, ']')
}

func isBlank(s string) bool {
	for i := range len(s) {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}
