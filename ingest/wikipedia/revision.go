package wikipedia

import (
	"crypto/sha1"
	"math/big"
	"strings"
	"time"
)

// mainSlot is the role of the slot that holds the article text.
const mainSlot = "main"

// revisionFields collects what is only known at the end of a revision.
type revisionFields struct {
	rev      Revision
	textSHA1 string // the sha1 attribute of <text> (0.11)
}

// readRevision reads the body of the <revision> whose start tag t was read.
func (r *Reader) readRevision(t tag) (Revision, error) {
	f := revisionFields{rev: Revision{Offset: t.offset}}
	if err := r.children(t, f.readChild(r)); err != nil {
		return Revision{}, err
	}
	rev := f.rev
	if rev.SHA1 == "" && !rev.TextDeleted {
		rev.SHA1 = f.textSHA1
		if rev.SHA1 == "" {
			rev.SHA1 = SHA1Base36(rev.Text)
		}
	}
	return rev, nil
}

func (f *revisionFields) readChild(r *Reader) func(tag) error {
	return func(t tag) error {
		rev := &f.rev
		var err error
		switch string(t.name) {
		case "id":
			rev.ID, err = r.readInt(t)
		case "parentid":
			rev.ParentID, err = r.readInt(t)
		case "timestamp":
			rev.Timestamp, err = r.readTimestamp(t)
		case "contributor":
			err = r.readContributor(t, rev)
		case "minor":
			rev.Minor = true
			err = r.sc.skip(t)
		case "comment":
			rev.CommentDeleted = isDeleted(t)
			rev.Comment, err = r.readString(t)
			if rev.CommentDeleted {
				rev.Comment = ""
			}
		case "text":
			err = f.readText(r, t)
		case "sha1":
			rev.SHA1, err = r.readString(t)
		case "content":
			err = f.readSlot(r, t)
		default: // origin, model, format and elements of later schemas
			err = r.sc.skip(t)
		}
		return err
	}
}

func (r *Reader) readContributor(t tag, rev *Revision) error {
	if isDeleted(t) {
		rev.ContributorDeleted = true
		return r.sc.skip(t)
	}
	var ip string
	err := r.children(t, func(child tag) error {
		var err error
		switch {
		case child.is("username"):
			rev.Contributor, err = r.readString(child)
		case child.is("ip"):
			ip, err = r.readString(child)
		default:
			err = r.sc.skip(child)
		}
		return err
	})
	if rev.Contributor == "" {
		rev.Contributor = ip
	}
	return err
}

// readText reads a <text> element, which may be deleted or empty.
func (f *revisionFields) readText(r *Reader, t tag) error {
	f.rev.Text, f.rev.TextDeleted = "", isDeleted(t)
	f.textSHA1 = ""
	if sum, ok := attr(t.attrs, "sha1"); ok {
		f.textSHA1 = string(sum)
	}
	if f.rev.TextDeleted {
		return r.sc.skip(t)
	}
	text := textBuffer{hint: -1}
	if n, ok := attr(t.attrs, "bytes"); ok {
		if hint, err := parseInt(n); err == nil && hint < maxHint {
			text.hint = int(hint)
		}
	}
	err := r.sc.readLeaf(t, &text)
	f.rev.Text = text.String()
	return err
}

// readSlot reads a multi-slot <content> block (0.11): its text replaces the
// revision's when its role, which precedes the text, is the main slot.
func (f *revisionFields) readSlot(r *Reader, t tag) error {
	role := ""
	return r.children(t, func(child tag) error {
		var err error
		switch {
		case child.is("role"):
			role, err = r.readString(child)
		case child.is("text") && role == mainSlot:
			err = f.readText(r, child)
		default:
			err = r.sc.skip(child)
		}
		return err
	})
}

// SHA1Base36 is MediaWiki's rev_sha1: the SHA-1 of text as a base 36
// number, zero-padded to 31 digits.
func SHA1Base36(text string) string {
	h := sha1.New()
	var chunk [32 << 10]byte // hashes a 50 MB text without copying it whole
	for len(text) > 0 {
		n := copy(chunk[:], text)
		h.Write(chunk[:n])
		text = text[n:]
	}
	digits := new(big.Int).SetBytes(h.Sum(nil)).Text(36)
	return strings.Repeat("0", max(0, 31-len(digits))) + digits
}

// parseInt parses a decimal integer; empty is 0.
func parseInt(b []byte) (int64, error) {
	b = trimSpace(b)
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, errBadNumber
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0, errBadNumber
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseTimestamp parses an ISO 8601 UTC time as written by MediaWiki
// ("2006-12-13T03:07:14Z"), or any RFC 3339 time; empty is 0.
func parseTimestamp(b []byte) (int64, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, nil
	}
	if t, ok := parseDumpTime(b); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return 0, errBadTime
	}
	return t.Unix(), nil
}

// parseDumpTime is the fast path for "YYYY-MM-DDTHH:MM:SSZ".
func parseDumpTime(b []byte) (int64, bool) {
	if len(b) != 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return 0, false
	}
	var v [6]int
	for i, at := range [6]int{0, 5, 8, 11, 14, 17} {
		width := 2
		if i == 0 {
			width = 4
		}
		for _, c := range b[at : at+width] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return 0, false
	}
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.UTC).Unix(), true
}

func trimSpace(b []byte) []byte {
	b = trimLeftSpace(b)
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
