package reddit

import (
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/prefstream/prefstream/schemas"
)

// Source is the Document.Source of every Reddit document.
const Source = "reddit"

// Kind tells comments from submissions.
type Kind int

// Kinds of record. The zero Kind is unknown.
const (
	Comment Kind = iota + 1
	Submission
)

func (k Kind) String() string {
	switch k {
	case Comment:
		return "comment"
	case Submission:
		return "submission"
	}
	return "unknown"
}

// fullnamePrefix is the type prefix of the kind's fullnames.
func (k Kind) fullnamePrefix() string {
	if k == Submission {
		return submissionPrefix
	}
	return commentPrefix
}

const (
	commentPrefix    = "t1_"
	submissionPrefix = "t3_"
)

// Record is one comment or submission. IDs are fullnames (t1_x, t3_x).
type Record struct {
	Kind     Kind
	ID       string
	LinkID   string // the thread: the submission's fullname (its own, for a submission)
	ParentID string // comments only
	Author   string // "" when AuthorDeleted
	// Subreddit, Title (submissions only) and Body (the comment body or the
	// submission's selftext; "" when Deleted).
	Subreddit, Title, Body string
	Score                  int64
	CreatedUTC             int64
	Deleted                bool // body or selftext "[deleted]" or "[removed]"
	AuthorDeleted          bool
	NSFW                   bool // over_18
	IsSelf                 bool // a self (text) submission
	Distinguished          string
	Offset                 int64 // uncompressed byte offset of the line
}

// DistinguishedModerator is the distinguished value of moderator comments.
const DistinguishedModerator = "moderator"

// Document maps the record to a schemas.Document of the given dump (the month,
// e.g. "2005-12", shared by the RC and RS files of that month).
func (rec Record) Document(dump, file string, ingested int64) schemas.Document {
	d := schemas.Document{
		Source:       Source,
		Dump:         dump,
		ID:           rec.ID,
		ThreadID:     rec.LinkID,
		ParentID:     rec.ParentID,
		Kind:         schemas.KindComment,
		Author:       rec.Author,
		CreatedUnix:  rec.CreatedUTC,
		Score:        rec.Score,
		Upvotes:      -1,
		Text:         rec.Body,
		Tags:         rec.Subreddit,
		Flags:        rec.flags(),
		Extra:        rec.extra(),
		SourceFile:   filepath.Base(file),
		Offset:       rec.Offset,
		IngestedUnix: ingested,
	}
	if rec.Kind == Submission {
		d.Kind = schemas.KindSubmission
		d.ThreadID = rec.ID
		d.Title = rec.Title
	}
	return d
}

func (rec Record) flags() int64 {
	var f int64
	set := func(cond bool, flag int64) {
		if cond {
			f |= flag
		}
	}
	set(rec.Deleted, schemas.FlagDeleted)
	set(rec.AuthorDeleted, schemas.FlagAuthorDeleted)
	set(rec.NSFW, schemas.FlagNSFW)
	set(rec.Distinguished == DistinguishedModerator, schemas.FlagDistinguished)
	set(rec.Kind == Submission && rec.IsSelf, schemas.FlagSelfPost)
	return f
}

// extra keeps a distinguished value that FlagDistinguished cannot express
// ("admin", "special"), so that it is not lost.
func (rec Record) extra() string {
	if rec.Distinguished == "" || rec.Distinguished == DistinguishedModerator {
		return ""
	}
	b, _ := json.Marshal(struct {
		Distinguished string `json:"distinguished"`
	}{rec.Distinguished})
	return string(b)
}

// DumpOf names the dump a file belongs to: the month "2005-12" of
// RC_2005-12.zst or RS_2005-12.zst (and of names that begin that way), else the
// base name without its extensions.
func DumpOf(path string) string {
	base := filepath.Base(path)
	if month, ok := monthOf(base); ok {
		return month
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		return base[:i]
	}
	return base
}

// monthOf extracts YYYY-MM from a name starting RC_YYYY-MM or RS_YYYY-MM.
func monthOf(base string) (string, bool) {
	const n = len("RC_2005-12")
	if kindOfName(base) == 0 || len(base) < n {
		return "", false
	}
	month := base[3:n]
	for i := range len(month) {
		if (i == 4) != (month[i] == '-') || i != 4 && !isDigit(month[i]) {
			return "", false
		}
	}
	if len(base) > n && isDigit(base[n]) {
		return "", false
	}
	return month, true
}

// kindOfName is the kind a file name implies: RC_ comments, RS_ submissions.
func kindOfName(name string) Kind {
	base := filepath.Base(name)
	switch {
	case strings.HasPrefix(base, "RC_"):
		return Comment
	case strings.HasPrefix(base, "RS_"):
		return Submission
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
