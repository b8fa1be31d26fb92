package synth

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultSite is the site name used when Options.Site is empty.
const DefaultSite = "synthetic.stackexchange.com"

// Options configures a generated dump. The same Options (Progress aside)
// always produce byte-identical files.
type Options struct {
	Questions int    // number of questions; ignored when TargetBytes > 0
	Seed      uint64 // drives every random choice, including QualityOf
	Site      string // folder and archive name; DefaultSite when empty
	// TargetBytes, when > 0, keeps generating questions until Posts.xml
	// reaches about this size (within a few percent).
	TargetBytes  int64
	NewTagFormat bool // Tags as |a|b| instead of <a><b>
	CRLF         bool // end rows with CRLF, as real dumps do, instead of LF
	Fabricated   bool // append fabricated rows (Id >= 1000000000, OwnerUserId -1)
	// SevenZip also packs DIR/<site>.7z with the system 7z binary.
	SevenZip bool
	// Progress, when set, is called with the bytes of Posts.xml written so
	// far, about once per megabyte and once at the end.
	Progress func(written int64)
}

// DefaultOptions returns a small dump shaped like a real one: CRLF line
// ends, old-style tags and fabricated rows.
func DefaultOptions() Options {
	return Options{
		Questions:  1000,
		Seed:       1,
		Site:       DefaultSite,
		CRLF:       true,
		Fabricated: true,
	}
}

// Stats describes a written dump. Questions and Answers count real posts
// only; fabricated and tag wiki rows are counted in Fabricated and Other.
type Stats struct {
	Questions, Answers, Votes int
	Fabricated, Other         int
	PostsBytes, VotesBytes    int64
	Files                     []string // every file written, Posts.xml first
}

func (o Options) normalized() (Options, error) {
	if o.Site == "" {
		o.Site = DefaultSite
	}
	if err := checkSite(o.Site); err != nil {
		return o, err
	}
	if o.Questions < 0 {
		return o, fmt.Errorf("synth: Questions must be >= 0, got %d", o.Questions)
	}
	if o.TargetBytes < 0 {
		return o, fmt.Errorf("synth: TargetBytes must be >= 0, got %d", o.TargetBytes)
	}
	return o, nil
}

func checkSite(site string) error {
	if site == "." || site == ".." || strings.ContainsAny(site, `/\`+"\x00") {
		return fmt.Errorf("synth: site %q must be a plain folder name", site)
	}
	return nil
}

// ErrNo7z is returned when Options.SevenZip is set but no 7z binary is on
// PATH.
var ErrNo7z = errors.New("synth: SevenZip needs the 7z binary on PATH (apt-get install p7zip-full)")
