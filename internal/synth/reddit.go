package synth

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DefaultRedditMonth is the month written when RedditOptions.Month is empty.
const DefaultRedditMonth = "2015-06"

// RedditOptions configures a generated Reddit month: RS_YYYY-MM.zst
// (submissions) and RC_YYYY-MM.zst (comments). The same options (Progress
// aside) always produce byte-identical NDJSON.
type RedditOptions struct {
	Month       string // YYYY-MM; DefaultRedditMonth when empty
	Submissions int    // submissions in the month; ignored when TargetBytes > 0
	// TargetBytes, when > 0, is the size of the uncompressed comments NDJSON
	// to reach (within a few percent): submissions are spread over the month
	// at the rate that fills it.
	TargetBytes int64
	Seed        uint64
	// Plain writes RS_/RC_YYYY-MM.ndjson instead of zstd files.
	Plain bool
	// Progress, when set, is called with the uncompressed comment bytes
	// written so far, about once per megabyte and once at the end.
	Progress func(written int64)

	zstdBinary string // the zstd command; "zstd" when empty (tests force the fallback)
}

// RedditStats describes a written month. Bytes are uncompressed NDJSON.
type RedditStats struct {
	Submissions, Comments int
	TopLevel              int // comments replying to the submission
	Gone                  int // comments whose body is [deleted] or [removed]
	SubmissionBytes       int64
	CommentBytes          int64
	// Compressor says what wrote the .zst files ("" when Plain): the zstd
	// command, or klauspost/compress when the command is missing.
	Compressor string
	Files      []string // RS first, then RC
}

// Reddit writes one month of Reddit dumps into dir: RS_<month>.zst and
// RC_<month>.zst, or .ndjson files when o.Plain is set. Every comment's
// link_id names a submission of the month and its parent_id an earlier
// comment or that submission. Files are written under temporary names and
// renamed when both are complete.
func Reddit(dir string, o RedditOptions) (RedditStats, error) {
	o, start, end, err := o.normalized()
	if err != nil {
		return RedditStats{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RedditStats{}, fmt.Errorf("synth: %w", err)
	}
	g := newRedditGen(o, start, end)
	if err := g.open(dir); err != nil {
		return RedditStats{}, err
	}
	return g.generate()
}

func (o RedditOptions) normalized() (RedditOptions, int64, int64, error) {
	o.Month = cmp.Or(o.Month, DefaultRedditMonth)
	o.zstdBinary = cmp.Or(o.zstdBinary, "zstd")
	month, err := time.Parse("2006-01", o.Month)
	if err != nil || month.Year() < 2005 || month.Year() > 2099 {
		return o, 0, 0, fmt.Errorf("synth: Month %q: want YYYY-MM between 2005 and 2099", o.Month)
	}
	if o.Submissions < 0 {
		return o, 0, 0, fmt.Errorf("synth: Submissions must be >= 0, got %d", o.Submissions)
	}
	if o.TargetBytes < 0 {
		return o, 0, 0, fmt.Errorf("synth: TargetBytes must be >= 0, got %d", o.TargetBytes)
	}
	return o, month.Unix(), month.AddDate(0, 1, 0).Unix(), nil
}

// open creates both outputs.
func (g *redditGen) open(dir string) error {
	ext := ".zst"
	if g.o.Plain {
		ext = ".ndjson"
	}
	rs, err := g.openFile(filepath.Join(dir, "RS_"+g.o.Month+ext), nil)
	if err != nil {
		return err
	}
	rc, err := g.openFile(filepath.Join(dir, "RC_"+g.o.Month+ext), g.o.Progress)
	if err != nil {
		rs.abort()
		return err
	}
	g.rs, g.rc = rs, rc
	return nil
}

func (g *redditGen) openFile(path string, progress func(int64)) (*dumpFile, error) {
	if g.o.Plain {
		s, err := createFileSink(path)
		if err != nil {
			return nil, err
		}
		return newDumpFile(progress, s), nil
	}
	s, how, err := openZstd(path, g.o.zstdBinary)
	if err != nil {
		return nil, err
	}
	g.stats.Compressor = how
	return newDumpFile(progress, s), nil
}

func (g *redditGen) generate() (RedditStats, error) {
	g.run()
	g.stats.SubmissionBytes, g.stats.CommentBytes = g.rs.size(), g.rc.size()
	if err := closeAll(g.rs, g.rc); err != nil {
		return RedditStats{}, err
	}
	if g.o.Progress != nil {
		g.o.Progress(g.stats.CommentBytes)
	}
	g.stats.Files = append(g.rs.paths(), g.rc.paths()...)
	return g.stats, nil
}
