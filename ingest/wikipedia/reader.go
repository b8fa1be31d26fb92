package wikipedia

import (
	"errors"
	"io"
	"strings"
)

// maxFieldBytes caps every field but the revision text (chosen here: titles
// are at most 255 bytes and comments 1,000 characters in MediaWiki).
const maxFieldBytes = 64 << 10

// Page is a <page> header.
type Page struct {
	ID       int64
	NS       int
	Title    string
	Redirect bool
}

// Revision is one <revision> of a page.
type Revision struct {
	ID, ParentID int64
	Timestamp    int64 // Unix seconds
	// Contributor is the user name, or the IP address of an anonymous
	// editor; "" when deleted.
	Contributor        string
	ContributorDeleted bool
	CommentDeleted     bool
	TextDeleted        bool
	Minor              bool
	Comment            string
	Text               string // "" when deleted
	// SHA1 is the text's SHA-1 in base 36 as in the dumps; computed the way
	// MediaWiki does when the dump leaves it empty and the text is not
	// deleted.
	SHA1   string
	Offset int64 // uncompressed offset of the <revision> tag
}

// Reader streams the pages of a MediaWiki XML export and, within each page,
// its revisions in order. It holds one revision at a time.
type Reader struct {
	sc     *scanner
	name   string
	closer io.Closer
	field  fieldBuffer
	// namespaces maps namespace names from <siteinfo> to their keys, for
	// old exports whose pages have no <ns>.
	namespaces map[string]int

	rootOpen    bool // <mediawiki> was opened and not closed yet
	pageOpen    bool // the current page's end tag is not consumed yet
	pagePending bool // SkipTo consumed pageTag; NextPage reads its header
	pageTag     tag
	revPending  bool // revTag was consumed; NextRevision reads its body
	revTag      tag
	pageOffset  int64
	err         error // sticky
}

// NewReader reads an uncompressed export from r; name is used in errors.
// The input may also be a fragment that starts at a <page> (no root
// element). If r is an io.Closer, Close closes it.
func NewReader(r io.Reader, name string) *Reader {
	rd := &Reader{sc: newScanner(r), name: name, field: fieldBuffer{max: maxFieldBytes}}
	if c, ok := r.(io.Closer); ok {
		rd.closer = c
	}
	return rd
}

// Close releases the input: the file, the decoder goroutines or the 7z
// process.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Offset is the uncompressed offset of the current page's <page> tag: the
// point to resume from with SkipTo.
func (r *Reader) Offset() int64 { return r.pageOffset }

// NextPage skips what is left of the current page and returns the next
// page's header. It returns io.EOF at the end of the export.
func (r *Reader) NextPage() (Page, error) {
	if r.err != nil {
		return Page{}, r.err
	}
	if err := r.finishPage(); err != nil {
		return Page{}, r.fail(err)
	}
	t, err := r.findPage()
	if err != nil {
		return Page{}, r.fail(err)
	}
	p, err := r.readPageHeader(t)
	if err != nil {
		return Page{}, r.fail(err)
	}
	return p, nil
}

// NextRevision returns the current page's next revision, or io.EOF after
// its last one.
func (r *Reader) NextRevision() (Revision, error) {
	if r.err != nil {
		return Revision{}, r.err
	}
	if !r.pageOpen {
		return Revision{}, io.EOF
	}
	if !r.revPending {
		found, err := r.nextRevisionTag()
		if err != nil {
			return Revision{}, r.fail(err)
		}
		if !found {
			return Revision{}, io.EOF
		}
	}
	r.revPending = false
	rev, err := r.readRevision(r.revTag)
	if err != nil {
		return Revision{}, r.fail(err)
	}
	return rev, nil
}

// SkipTo moves to the first page whose <page> tag is at or after offset, a
// value of Offset from an earlier run: the next NextPage returns it. Pages
// before it are scanned but not decoded. It returns io.EOF when there is no
// such page.
func (r *Reader) SkipTo(offset int64) error {
	if r.err != nil {
		return r.err
	}
	if err := r.finishPage(); err != nil {
		return r.fail(err)
	}
	for {
		t, err := r.findPage()
		if err != nil {
			return r.fail(err)
		}
		if t.offset >= offset {
			r.pageTag, r.pagePending = t, true
			return nil
		}
		if err := r.sc.skip(t); err != nil {
			return r.fail(err)
		}
	}
}

// fail makes err sticky, as a *ReadError unless it is io.EOF.
func (r *Reader) fail(err error) error {
	var re *ReadError
	switch {
	case err == io.EOF:
	case errors.As(err, &re):
	default:
		err = &ReadError{File: r.name, Offset: r.sc.offset(), Err: err}
	}
	r.err = err
	return err
}

// findPage returns the next <page> start tag outside a page.
func (r *Reader) findPage() (tag, error) {
	if r.pagePending {
		r.pagePending = false
		return r.pageTag, nil
	}
	for {
		t, err := r.sc.nextTag()
		if err == io.EOF && r.rootOpen {
			return tag{}, errNoEndOfRoot
		}
		if err != nil {
			return tag{}, err
		}
		switch {
		case t.end:
			if t.is("mediawiki") {
				r.rootOpen = false
			}
		case t.is("page"):
			return t, nil
		case t.is("mediawiki"):
			r.rootOpen = !t.empty
		case t.is("siteinfo"):
			err = r.readSiteinfo(t)
		default:
			err = r.sc.skip(t)
		}
		if err != nil {
			return tag{}, err
		}
	}
}

// readPageHeader reads the page's fields up to its first revision.
func (r *Reader) readPageHeader(t tag) (Page, error) {
	r.pageOffset = t.offset
	r.pageOpen = !t.empty
	var p Page
	hasNS := false
	for r.pageOpen && !r.revPending {
		child, err := r.sc.nextTag()
		if err != nil {
			return p, unexpectedEOF(err)
		}
		switch {
		case child.end:
			r.pageOpen = false
		case child.is("revision"):
			r.revTag, r.revPending = child, true
		case child.is("title"):
			p.Title, err = r.readString(child)
		case child.is("ns"):
			var ns int64
			ns, err = r.readInt(child)
			p.NS, hasNS = int(ns), true
		case child.is("id"):
			p.ID, err = r.readInt(child)
		case child.is("redirect"):
			p.Redirect = true
			err = r.sc.skip(child)
		default:
			err = r.sc.skip(child)
		}
		if err != nil {
			return p, err
		}
	}
	if !hasNS {
		p.NS = r.namespaceOf(p.Title)
	}
	return p, nil
}

// nextRevisionTag finds the current page's next <revision>, skipping other
// elements; false at the page's end.
func (r *Reader) nextRevisionTag() (bool, error) {
	for {
		t, err := r.sc.nextTag()
		if err != nil {
			return false, unexpectedEOF(err)
		}
		switch {
		case t.end:
			r.pageOpen = false
			return false, nil
		case t.is("revision"):
			r.revTag = t
			return true, nil
		}
		if err := r.sc.skip(t); err != nil {
			return false, err
		}
	}
}

// finishPage skips what is left of the current page.
func (r *Reader) finishPage() error {
	if r.revPending {
		r.revPending = false
		if err := r.sc.skip(r.revTag); err != nil {
			return err
		}
	}
	for r.pageOpen {
		found, err := r.nextRevisionTag()
		if err != nil {
			return err
		}
		if found {
			if err := r.sc.skip(r.revTag); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSiteinfo keeps the namespace names of <siteinfo><namespaces>.
func (r *Reader) readSiteinfo(t tag) error {
	return r.children(t, func(child tag) error {
		if !child.is("namespaces") {
			return r.sc.skip(child)
		}
		return r.children(child, r.readNamespace)
	})
}

func (r *Reader) readNamespace(t tag) error {
	key, ok := attr(t.attrs, "key")
	if !t.is("namespace") || !ok {
		return r.sc.skip(t)
	}
	ns, err := parseInt(key)
	if err != nil {
		return err
	}
	name, err := r.readString(t)
	if err != nil || name == "" {
		return err
	}
	if r.namespaces == nil {
		r.namespaces = make(map[string]int)
	}
	r.namespaces[name] = int(ns)
	return nil
}

// namespaceOf finds the namespace of a title by its prefix (chosen here,
// for exports without <ns>): the main namespace unless the prefix is a
// namespace name of <siteinfo>.
func (r *Reader) namespaceOf(title string) int {
	if prefix, _, ok := strings.Cut(title, ":"); ok {
		return r.namespaces[prefix]
	}
	return 0
}

// children calls f with each child element's start tag; f must consume the
// element.
func (r *Reader) children(t tag, f func(child tag) error) error {
	if t.empty {
		return nil
	}
	for {
		child, err := r.sc.nextTag()
		if err != nil {
			return unexpectedEOF(err)
		}
		if child.end {
			return nil
		}
		if err := f(child); err != nil {
			return err
		}
	}
}

func (r *Reader) readString(t tag) (string, error) {
	r.field.reset()
	err := r.sc.readLeaf(t, &r.field)
	return r.field.String(), err
}

func (r *Reader) readInt(t tag) (int64, error) {
	r.field.reset()
	if err := r.sc.readLeaf(t, &r.field); err != nil {
		return 0, err
	}
	return parseInt(r.field.b)
}

func (r *Reader) readTimestamp(t tag) (int64, error) {
	r.field.reset()
	if err := r.sc.readLeaf(t, &r.field); err != nil {
		return 0, err
	}
	return parseTimestamp(r.field.b)
}

// isDeleted reports a deleted="deleted" attribute.
func isDeleted(t tag) bool {
	v, ok := attr(t.attrs, "deleted")
	return ok && string(v) == "deleted"
}
