package wikipedia

import (
	"crypto/sha1"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/prefstream/prefstream/schemas"
)

// Reverts is the preset name and version recorded on every pair.
const Reverts = "reverts/v1"

const (
	source = "wikipedia"
	basis  = "revert"
	// history is how many revisions of a page the Pager remembers.
	history = 16
	// maxWindow is the farthest back a revert can restore: k-15.
	maxWindow = history - 1
)

// Options are the flags of the reverts preset; DefaultOptions gives the
// recipe's defaults.
type Options struct {
	// VandalismOnly keeps reverts whose comment names vandalism or a revert
	// tool (see revertMarkers).
	VandalismOnly bool
	// Window: revision k reverts to revision j when k-Window <= j <= k-2.
	// 0 means 15, the most the Pager's memory of 16 revisions allows.
	Window int
	// ContextParagraphs is how many unchanged paragraphs are kept before
	// and after the changed region.
	ContextParagraphs int
	// MaxTextBytes caps the chosen and rejected texts (chosen here: cut at
	// a rune boundary); 0 means no cap.
	MaxTextBytes int
}

// DefaultOptions are the recipe's defaults. The 64 KiB text cap is chosen
// here: it keeps a pair well under a JetStream message.
func DefaultOptions() Options {
	return Options{Window: maxWindow, ContextParagraphs: 1, MaxTextBytes: 64 << 10}
}

// Stats counts what a Pager saw.
type Stats struct {
	Revisions int
	// Reverts counts reverting revisions, with or without a pair.
	Reverts int
	Pairs   int
	// SkippedDeletedPrevious: the revision just before the revert has its
	// text deleted.
	SkippedDeletedPrevious int
	// SkippedNotVandalism: VandalismOnly and the comment names no revert.
	SkippedNotVandalism int
	// SkippedNoChange: the texts differ only in blank lines, or not within
	// MaxTextBytes.
	SkippedNoChange int
}

// Pager finds the reverts of one page as its revisions stream by, in
// order, remembering the text hashes of the last 16 and the last revision.
type Pager struct {
	o      Options
	thread string
	dump   string
	recent [history]string // text hashes ("" for deleted), by revision number mod 16
	n      int             // revisions of the current page so far
	prev   schemas.Document
	stats  Stats
}

// NewPager returns a Pager for one page.
func NewPager(o Options) *Pager {
	if o.Window <= 0 || o.Window > maxWindow {
		o.Window = maxWindow
	}
	o.ContextParagraphs = max(o.ContextParagraphs, 0)
	return &Pager{o: o}
}

// Stats returns the counts so far.
func (p *Pager) Stats() Stats { return p.stats }

// Add takes the page's next revision, mapped by the ingest reader, and
// returns the pair it completes: at most one, when it is a revert. A
// revision of another page or dump starts over (chosen here).
func (p *Pager) Add(rev schemas.Document) []schemas.Pair {
	if rev.ThreadID != p.thread || rev.Dump != p.dump || p.n == 0 {
		p.thread, p.dump, p.n = rev.ThreadID, rev.Dump, 0
	}
	p.stats.Revisions++
	extra := parseExtra(rev.Extra)
	h := textHash(&rev, extra)
	var pairs []schemas.Pair
	if p.reverts(h) {
		p.stats.Reverts++
		if pair, ok := p.pair(&rev, extra); ok {
			pairs = append(pairs, pair)
		}
	}
	p.recent[p.n%history] = h
	p.n++
	p.prev = rev
	return pairs
}

// reverts reports whether the revision with hash h, number k = p.n, equals
// revision j for some k-Window <= j <= k-2 and differs from revision k-1.
func (p *Pager) reverts(h string) bool {
	k := p.n
	if h == "" || k < 2 || p.recent[(k-1)%history] == h {
		return false
	}
	for j := max(0, k-p.o.Window); j <= k-2; j++ {
		if p.recent[j%history] == h {
			return true
		}
	}
	return false
}

// pair builds the pair of the reverting revision rev: its text (the one
// restored) is chosen over the previous revision's.
func (p *Pager) pair(rev *schemas.Document, extra revisionExtra) (schemas.Pair, bool) {
	prev := &p.prev
	switch {
	case prev.Has(schemas.FlagDeleted):
		p.stats.SkippedDeletedPrevious++
		return schemas.Pair{}, false
	case p.o.VandalismOnly && (extra.Comment == nil || !NamesRevert(*extra.Comment)):
		p.stats.SkippedNotVandalism++
		return schemas.Pair{}, false
	}
	chosen, rejected, section := ChangedRegion(rev.Text, prev.Text, p.o.ContextParagraphs)
	chosen, rejected = clip(chosen, p.o.MaxTextBytes), clip(rejected, p.o.MaxTextBytes)
	if chosen == rejected {
		p.stats.SkippedNoChange++
		return schemas.Pair{}, false
	}
	p.stats.Pairs++
	return schemas.Pair{
		PairID:        schemas.PairID(source, rev.Dump, rev.ThreadID, rev.ID, prev.ID),
		Source:        source,
		Dump:          rev.Dump,
		ThreadID:      rev.ThreadID,
		ChosenID:      rev.ID,
		RejectedID:    prev.ID,
		Prompt:        Prompt(rev.Title, section),
		Chosen:        chosen,
		Rejected:      rejected,
		ChosenScore:   1,
		RejectedScore: 0,
		Margin:        1,
		Split:         schemas.SplitOf(source, rev.Dump, rev.ThreadID),
		Recipe:        Reverts,
		Basis:         basis,
	}, true
}

// Prompt is the page title and, when known, the section changed.
func Prompt(title, section string) string {
	if section == "" {
		return title
	}
	return title + "\n\nSection: " + section
}

// revisionExtra is the part of Document.Extra the recipe reads.
type revisionExtra struct {
	SHA1    string  `json:"sha1"`
	Comment *string `json:"comment"`
}

func parseExtra(extra string) revisionExtra {
	var e revisionExtra
	if extra != "" {
		_ = json.Unmarshal([]byte(extra), &e) // malformed: no hash, no comment
	}
	return e
}

// textHash is the dump's SHA-1, else one computed the same way; "" for a
// deleted text.
func textHash(rev *schemas.Document, extra revisionExtra) string {
	switch {
	case rev.Has(schemas.FlagDeleted):
		return ""
	case extra.SHA1 != "":
		return extra.SHA1
	}
	return sha1Base36(rev.Text)
}

// sha1Base36 is MediaWiki's rev_sha1, as the ingest reader computes it.
func sha1Base36(text string) string {
	h := sha1.New()
	var chunk [32 << 10]byte // hashes a long text without copying it whole
	for len(text) > 0 {
		n := copy(chunk[:], text)
		h.Write(chunk[:n])
		text = text[n:]
	}
	digits := new(big.Int).SetBytes(h.Sum(nil)).Text(36)
	return strings.Repeat("0", max(0, 31-len(digits))) + digits
}
