package textclean

import "strings"

// tag is what an element means for the text.
type tag uint8

const (
	tagOther tag = iota // inline or unknown: its text only
	tagPara             // a paragraph block
	tagLine             // a block on its own line
	tagBr
	tagUL
	tagOL
	tagItem
	tagRow
	tagCell
	tagPre
	tagCode
	tagLink
	tagImg
	tagDrop // dropped with its content
)

const maxTagName = len("blockquote")

func lookupTag(name string) tag {
	if len(name) > maxTagName {
		return tagOther
	}
	var buf [maxTagName]byte
	for i := range len(name) {
		buf[i] = lower(name[i])
	}
	switch string(buf[:len(name)]) {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "dl", "figure",
		"address", "article", "aside", "details", "fieldset", "footer", "form", "header", "main",
		"nav", "section", "center":
		return tagPara
	case "div", "dt", "dd", "caption", "figcaption", "summary", "legend":
		return tagLine
	case "br":
		return tagBr
	case "ul", "menu", "dir":
		return tagUL
	case "ol":
		return tagOL
	case "li":
		return tagItem
	case "tr":
		return tagRow
	case "td", "th":
		return tagCell
	case "pre", "listing":
		return tagPre
	case "code":
		return tagCode
	case "a":
		return tagLink
	case "img":
		return tagImg
	case "script", "style":
		return tagDrop
	}
	return tagOther
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func isLetter(b byte) bool {
	b |= 0x20
	return 'a' <= b && b <= 'z'
}

// markup handles the markup at s[i] == '<' and returns where the text resumes.
func (c *converter) markup(s string, i int) int {
	if i+1 == len(s) {
		return c.literal(s, i)
	}
	switch b := s[i+1]; {
	case b == '!' && strings.HasPrefix(s[i+2:], "--"):
		return skipComment(s, i)
	case i > c.lastGT:
		return c.literal(s, i)
	case isLetter(b):
		return c.startTag(s, i)
	case b == '/':
		return c.endTag(s, i)
	case b == '!' || b == '?':
		return c.bogusComment(s, i)
	}
	return c.literal(s, i)
}

// literal writes the '<' at s[i] as text.
func (c *converter) literal(s string, i int) int {
	c.text(s[i : i+1])
	return i + 1
}

func (c *converter) startTag(s string, i int) int {
	nameEnd := tagNameEnd(s, i+1)
	end, attrs, selfClosing, ok := tagEnd(s, nameEnd)
	if !ok {
		return c.literal(s, i)
	}
	t := lookupTag(s[i+1 : nameEnd])
	switch {
	case selfClosing:
		if t != tagDrop {
			c.open(t, attrs)
		}
		if t != tagBr {
			c.close(t)
		}
	case t == tagDrop:
		return skipRawText(s, end, s[i+1:nameEnd])
	case t == tagPre:
		c.open(t, attrs)
		return skipNewline(s, end)
	default:
		c.open(t, attrs)
	}
	return end
}

func (c *converter) endTag(s string, i int) int {
	switch {
	case i+2 == len(s):
		return c.literal(s, i)
	case s[i+2] == '>':
		return i + 3
	case !isLetter(s[i+2]):
		return c.bogusComment(s, i)
	}
	nameEnd := tagNameEnd(s, i+2)
	end, _, _, ok := tagEnd(s, nameEnd)
	if !ok {
		return c.literal(s, i)
	}
	c.close(lookupTag(s[i+2 : nameEnd]))
	return end
}

// bogusComment skips a declaration, a processing instruction or a malformed end tag.
func (c *converter) bogusComment(s string, i int) int {
	k := indexByte(s, i, '>')
	if k == len(s) {
		return c.literal(s, i)
	}
	return k + 1
}

// skipComment skips the comment at s[i:] == "<!--..."; an unclosed one runs to the end.
func skipComment(s string, i int) int {
	j := i + len("<!--")
	switch {
	case strings.HasPrefix(s[j:], ">"):
		return j + 1
	case strings.HasPrefix(s[j:], "->"):
		return j + 2
	}
	if k := strings.Index(s[j:], "-->"); k >= 0 {
		return j + k + len("-->")
	}
	return len(s)
}

// skipRawText skips the content of a dropped element up to its end tag, or to the end.
func skipRawText(s string, i int, name string) int {
	for {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return len(s)
		}
		i += k + 2
		j := i + len(name)
		if j > len(s) || !strings.EqualFold(s[i:j], name) {
			continue
		}
		if j == len(s) {
			return j
		}
		if b := s[j]; isSpace(b) || b == '/' || b == '>' {
			end, _, _, ok := tagEnd(s, j)
			if !ok {
				return len(s)
			}
			return end
		}
	}
}

func skipNewline(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "\r\n"):
		return i + 2
	case strings.HasPrefix(s[i:], "\n"), strings.HasPrefix(s[i:], "\r"):
		return i + 1
	}
	return i
}

func tagNameEnd(s string, i int) int {
	for i < len(s) && !isSpace(s[i]) && s[i] != '/' && s[i] != '>' {
		i++
	}
	return i
}

// tagEnd finds the '>' closing a tag whose attributes start at s[i], skipping quoted
// attribute values. When a quote is never closed it settles for the first '>'; ok is false
// when there is none.
func tagEnd(s string, i int) (end int, attrs string, selfClosing, ok bool) {
	start, valueEnd := i, i
	for i < len(s) {
		switch s[i] {
		case '>':
			return i + 1, s[start:i], i > valueEnd && s[i-1] == '/', true
		case '=':
			_, i = attrValue(s, i+1)
			valueEnd = i
		default:
			i++
		}
	}
	gt := indexByte(s, start, '>')
	if gt == len(s) {
		return len(s), "", false, false
	}
	return gt + 1, s[start:gt], false, true
}

// attrValue reads an attribute value at s[i], just past its '=': quoted, or unquoted up to
// whitespace or '>'. An unclosed quote runs to the end.
func attrValue(s string, i int) (value string, end int) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		q := i + 1
		k := indexByte(s, q, s[i])
		if k == len(s) {
			return s[q:], len(s)
		}
		return s[q:k], k + 1
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && s[j] != '>' {
		j++
	}
	return s[i:j], j
}

// attr returns the raw value of the first attribute called name.
func attr(attrs, name string) (string, bool) {
	for i := 0; i < len(attrs); {
		for i < len(attrs) && (isSpace(attrs[i]) || attrs[i] == '/') {
			i++
		}
		if i == len(attrs) {
			break
		}
		j := i + 1
		for j < len(attrs) && !isSpace(attrs[j]) && attrs[j] != '/' && attrs[j] != '=' {
			j++
		}
		key := attrs[i:j]
		for j < len(attrs) && isSpace(attrs[j]) {
			j++
		}
		var value string
		if j < len(attrs) && attrs[j] == '=' {
			value, j = attrValue(attrs, j+1)
		}
		if strings.EqualFold(key, name) {
			return value, true
		}
		i = j
	}
	return "", false
}
