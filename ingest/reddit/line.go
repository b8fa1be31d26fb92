package reddit

import (
	"bytes"
	"errors"
	"fmt"
)

// field is a key the parser decodes; every other key is skipped.
type field uint8

// Text fields first: they index lineParser.spans.
const (
	fieldOther field = iota
	fieldID
	fieldName
	fieldLinkID
	fieldParentID
	fieldAuthor
	fieldSubreddit
	fieldTitle
	fieldBody
	fieldSelftext
	fieldDistinguished
	fieldDomain
	numTextFields
)

// Other fields.
const (
	fieldScore field = numTextFields + iota
	fieldCreatedUTC
	fieldOver18
	fieldIsSelf
)

// fieldOf maps a key to its field: fieldOther for the keys that are skipped.
func fieldOf(key []byte) field {
	switch string(key) {
	case "id":
		return fieldID
	case "name":
		return fieldName
	case "link_id":
		return fieldLinkID
	case "parent_id":
		return fieldParentID
	case "author":
		return fieldAuthor
	case "subreddit":
		return fieldSubreddit
	case "title":
		return fieldTitle
	case "body":
		return fieldBody
	case "selftext":
		return fieldSelftext
	case "distinguished":
		return fieldDistinguished
	case "domain":
		return fieldDomain
	case "score":
		return fieldScore
	case "created_utc":
		return fieldCreatedUTC
	case "over_18":
		return fieldOver18
	case "is_self":
		return fieldIsSelf
	}
	return fieldOther
}

// isMarkdown reports whether a field holds Reddit's HTML-escaped markdown.
func (f field) isMarkdown() bool {
	return f == fieldTitle || f == fieldBody || f == fieldSelftext
}

type span struct{ start, end int }

func (sp span) of(s string) string { return s[sp.start:sp.end] }

// lineParser parses NDJSON lines into Records. It is reused line after line
// and is not safe for concurrent use.
type lineParser struct {
	scanner
	arena []byte // decoded text fields of the current line
	out   []byte // the Record's strings, built into one allocation
	key   []byte // a key with escapes, decoded
	spans [numTextFields]span
	seen  uint32 // bit f set when field f occurred

	score, created int64
	over18, isSelf bool
}

const utf8BOM = "\xef\xbb\xbf"

// blank reports whether a line holds only white space (skipped, not an error).
func blank(line []byte) bool {
	return len(bytes.TrimSpace(line)) == 0
}

// parse decodes one line. hint is the kind implied by the file name, used
// only when the line itself does not tell.
func (p *lineParser) parse(line []byte, hint Kind) (Record, error) {
	p.reset(bytes.TrimPrefix(line, []byte(utf8BOM)))
	p.arena = p.arena[:0]
	p.spans = [numTextFields]span{}
	p.seen = 0
	p.score, p.created, p.over18, p.isSelf = 0, 0, false, false
	if err := p.object(); err != nil {
		return Record{}, err
	}
	return p.record(hint)
}

func (p *lineParser) has(f field) bool { return p.seen&(1<<f) != 0 }

func (p *lineParser) text(f field) []byte { return p.arena[p.spans[f].start:p.spans[f].end] }

// object parses the top-level object, which must fill the line.
func (p *lineParser) object() error {
	p.skipSpace()
	if p.peek() != '{' {
		return errNotObject
	}
	p.i++
	p.skipSpace()
	if p.peek() == '}' {
		p.i++
		return p.end()
	}
	for {
		key, f, err := p.member()
		if err != nil {
			return err
		}
		if err := p.value(f); err != nil {
			return fmt.Errorf("value of %q: %w", key, err)
		}
		p.skipSpace()
		switch c := p.peek(); c {
		case ',':
			p.i++
			p.skipSpace()
		case '}':
			p.i++
			return p.end()
		case 0:
			return errEndOfLine
		default:
			return fmt.Errorf("after a value: %w", unexpected(c))
		}
	}
}

// end checks that nothing but white space follows the object.
func (p *lineParser) end() error {
	p.skipSpace()
	if p.i < len(p.b) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// member consumes a key and its colon, and returns the key, valid until the
// next key.
func (p *lineParser) member() ([]byte, field, error) {
	if p.peek() != '"' {
		if p.i == len(p.b) {
			return nil, 0, errEndOfLine
		}
		return nil, 0, fmt.Errorf("expected a key: %w", unexpected(p.peek()))
	}
	key, err := p.str()
	if err != nil {
		return nil, 0, err
	}
	if bytes.IndexByte(key, '\\') >= 0 {
		p.key = appendString(p.key[:0], key)
		key = p.key
	}
	p.skipSpace()
	if p.peek() != ':' {
		return nil, 0, fmt.Errorf("expected ':' after key %q", key)
	}
	p.i++
	p.skipSpace()
	return key, fieldOf(key), nil
}

func (p *lineParser) value(f field) error {
	var err error
	switch f {
	case fieldOther:
		return p.skipValue()
	case fieldScore:
		p.score, err = p.intValue()
	case fieldCreatedUTC:
		p.created, err = p.intValue()
	case fieldOver18:
		p.over18, err = p.boolValue()
	case fieldIsSelf:
		p.isSelf, err = p.boolValue()
	default:
		err = p.textValue(f)
	}
	p.seen |= 1 << f
	return err
}

// textValue decodes a string into the arena. null is "", and a number or
// boolean is kept as its literal text.
func (p *lineParser) textValue(f field) error {
	start := len(p.arena)
	switch p.peek() {
	case '"':
		raw, err := p.str()
		if err != nil {
			return err
		}
		p.arena = appendString(p.arena, raw)
		if f.isMarkdown() {
			p.arena = p.arena[:start+unescapeHTML(p.arena[start:])]
		}
	case '{', '[':
		return errors.New("expected a string, got an object or array")
	default:
		lit, err := p.literal()
		if err != nil {
			return err
		}
		if string(lit) != "null" {
			p.arena = append(p.arena, lit...)
		}
	}
	p.spans[f] = span{start, len(p.arena)}
	return nil
}

// intValue reads a number given as a number, a string or null.
func (p *lineParser) intValue() (int64, error) {
	text, err := p.scalar()
	if err != nil || len(bytes.TrimSpace(text)) == 0 || string(text) == "null" {
		return 0, err
	}
	if n, ok := parseInt(text); ok {
		return n, nil
	}
	return 0, fmt.Errorf("not a number: %q", text)
}

// boolValue reads a boolean given as a boolean, a number, a string or null.
func (p *lineParser) boolValue() (bool, error) {
	text, err := p.scalar()
	if err != nil {
		return false, err
	}
	text = bytes.TrimSpace(text)
	switch {
	case bytes.EqualFold(text, []byte("true")):
		return true, nil
	case len(text) == 0 || bytes.EqualFold(text, []byte("false")) || string(text) == "null":
		return false, nil
	}
	if n, ok := parseInt(text); ok {
		return n != 0, nil
	}
	return false, fmt.Errorf("not a boolean: %q", text)
}

// scalar returns the text of a literal or the decoded content of a string;
// objects and arrays are errors.
func (p *lineParser) scalar() ([]byte, error) {
	switch p.peek() {
	case '"':
		raw, err := p.str()
		if err != nil || bytes.IndexByte(raw, '\\') < 0 {
			return raw, err
		}
		p.key = appendString(p.key[:0], raw)
		return p.key, nil
	case '{', '[':
		return nil, errors.New("expected a scalar, got an object or array")
	}
	return p.literal()
}

var (
	errNoID     = errors.New("no id or name")
	errNoLinkID = errors.New("comment has no link_id, and its parent_id names no submission")
	errNoKind   = errors.New("neither body nor title nor selftext, and the file name is not RC_ or RS_: cannot tell a comment from a submission")
)

// kind tells the line's kind from its keys, else from the file name.
func (p *lineParser) kind(hint Kind) Kind {
	switch {
	case p.has(fieldBody):
		return Comment
	case p.has(fieldTitle) || p.has(fieldSelftext):
		return Submission
	}
	return hint
}

// record builds the Record of the parsed line. All its strings share one
// allocation.
func (p *lineParser) record(hint Kind) (Record, error) {
	rec := Record{Kind: p.kind(hint), Score: p.score, CreatedUTC: p.created, NSFW: p.over18}
	if rec.Kind == 0 {
		return Record{}, errNoKind
	}
	id := p.text(fieldID)
	if len(id) == 0 {
		id = p.text(fieldName)
	}
	if len(id) == 0 {
		return Record{}, errNoID
	}
	p.out = p.out[:0]
	var link, parent, body, title span
	idSpan := p.emit(rec.Kind.fullnamePrefix(), id)
	switch rec.Kind {
	case Comment:
		parent = p.emit("", p.text(fieldParentID))
		link = p.commentLink(parent)
		if link.start == link.end {
			return Record{}, errNoLinkID
		}
		body = p.emitBody(fieldBody, &rec.Deleted)
	case Submission:
		link = idSpan
		title = p.emit("", p.text(fieldTitle))
		body = p.emitBody(fieldSelftext, &rec.Deleted)
		rec.IsSelf = p.isSelf || !p.has(fieldIsSelf) && bytes.HasPrefix(p.text(fieldDomain), []byte("self."))
	}
	author := p.text(fieldAuthor)
	rec.AuthorDeleted = isGone(author)
	if rec.AuthorDeleted {
		author = nil
	}
	authorSpan := p.emit("", author)
	subreddit := p.emit("", p.text(fieldSubreddit))
	distinguished := p.emit("", p.text(fieldDistinguished))

	s := string(p.out)
	rec.ID, rec.LinkID, rec.ParentID = idSpan.of(s), link.of(s), parent.of(s)
	rec.Title, rec.Body = title.of(s), body.of(s)
	rec.Author, rec.Subreddit, rec.Distinguished = authorSpan.of(s), subreddit.of(s), distinguished.of(s)
	return rec, nil
}

// emit appends text to the output, with prefix unless it already starts so.
func (p *lineParser) emit(prefix string, text []byte) span {
	start := len(p.out)
	if len(text) > 0 && !bytes.HasPrefix(text, []byte(prefix)) {
		p.out = append(p.out, prefix...)
	}
	p.out = append(p.out, text...)
	return span{start, len(p.out)}
}

// commentLink emits the comment's thread: link_id, or the parent when that
// is a submission.
func (p *lineParser) commentLink(parent span) span {
	if link := p.text(fieldLinkID); len(link) > 0 {
		return p.emit(submissionPrefix, link)
	}
	if bytes.HasPrefix(p.out[parent.start:parent.end], []byte(submissionPrefix)) {
		return parent
	}
	return span{}
}

// emitBody emits a body or selftext, or nothing when it is gone.
func (p *lineParser) emitBody(f field, deleted *bool) span {
	text := p.text(f)
	if *deleted = isGone(text); *deleted {
		return span{}
	}
	return p.emit("", text)
}

// isGone reports the placeholders Reddit leaves for deleted or removed text
// and authors.
func isGone(text []byte) bool {
	return string(text) == "[deleted]" || string(text) == "[removed]"
}
