package wikipedia

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/prefstream/prefstream/schemas"
)

// Source is the Document source name.
const Source = "wikipedia"

// Extra is the JSON object in Document.Extra of a revision.
type Extra struct {
	SHA1    string  `json:"sha1"`
	Comment *string `json:"comment,omitempty"` // absent when deleted
	NS      int     `json:"ns"`
}

// Document maps the revision of page p to a Document. dump is the file's
// base name without extensions (see DumpName), file its path.
func (rev Revision) Document(p Page, dump, file string, ingested int64) schemas.Document {
	d := schemas.Document{
		Source:       Source,
		Dump:         dump,
		ID:           strconv.FormatInt(rev.ID, 10),
		ThreadID:     strconv.FormatInt(p.ID, 10),
		Kind:         schemas.KindRevision,
		Author:       rev.Contributor,
		CreatedUnix:  rev.Timestamp,
		Upvotes:      -1,
		Title:        p.Title,
		Text:         rev.Text,
		Flags:        rev.flags(),
		Extra:        rev.extra(p.NS),
		SourceFile:   file,
		Offset:       rev.Offset,
		IngestedUnix: ingested,
	}
	if rev.ParentID != 0 {
		d.ParentID = strconv.FormatInt(rev.ParentID, 10)
	}
	if rev.TextDeleted {
		d.Text = ""
	}
	return d
}

func (rev Revision) flags() int64 {
	var f int64
	if rev.TextDeleted {
		f |= schemas.FlagDeleted
	}
	if rev.ContributorDeleted {
		f |= schemas.FlagAuthorDeleted
	}
	if rev.Minor {
		f |= schemas.FlagMinorEdit
	}
	return f
}

func (rev Revision) extra(ns int) string {
	e := Extra{SHA1: rev.SHA1, NS: ns}
	if !rev.CommentDeleted {
		e.Comment = &rev.Comment
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err) // unreachable: strings and ints always encode
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// NamespaceFilter parses a --namespaces value: a comma-separated list of
// namespace numbers, or "all"; "" is the default, the main namespace (0).
func NamespaceFilter(spec string) (func(ns int) bool, error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "":
		return func(ns int) bool { return ns == 0 }, nil
	case "all":
		return func(int) bool { return true }, nil
	}
	keep := make(map[int]bool)
	for _, part := range strings.Split(spec, ",") {
		ns, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("wikipedia: bad namespace list %q (want numbers like 0,1,4 or all): %w", spec, err)
		}
		keep[ns] = true
	}
	return func(ns int) bool { return keep[ns] }, nil
}
