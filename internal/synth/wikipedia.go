package synth

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"hash"
	"os"
	"os/exec"
	"path/filepath"
)

// DefaultWikipediaBase is the file name, without extensions, used when
// WikipediaOptions.Base is empty.
const DefaultWikipediaBase = "synthwiki-20240601-pages-meta-history1"

// WikipediaOptions configures a generated MediaWiki full-history export.
// The same options (Progress aside) always produce byte-identical XML.
type WikipediaOptions struct {
	Pages int // number of pages; ignored when TargetBytes > 0
	// TargetBytes, when > 0, generates pages until the uncompressed XML
	// reaches about this size (within a few percent).
	TargetBytes int64
	Seed        uint64
	Base        string // file name without .xml; DefaultWikipediaBase when empty
	// Bzip2 writes <base>.xml.bz2 with the system bzip2 (while generating,
	// on the other core) instead of <base>.xml.
	Bzip2 bool
	// KeepXML, with Bzip2, writes <base>.xml as well.
	KeepXML bool
	// Progress, when set, is called with the XML bytes written so far,
	// about once per megabyte and once at the end.
	Progress func(written int64)
}

// WikipediaStats describes a written export.
type WikipediaStats struct {
	Pages, Revisions int
	// Reverts counts the planted identity reverts: revisions whose text
	// equals that of revision k-2 ... k-15 of their page (and not k-1's).
	Reverts int
	// Vandalism counts the vandal edits, all of them reverted.
	Vandalism int
	XMLBytes  int64    // uncompressed
	Files     []string // .xml first when written, then .xml.bz2
}

// Wikipedia writes a full-history export into dir: pages of articles that
// editors expand and copyedit, vandals deface, and others revert within a
// few revisions, plus talk, user, project, template, category and file
// pages, redirects, and the quirks of real exports (deleted text, comment
// and contributor, empty <sha1/>, multi-slot revisions). Files are written
// under temporary names and renamed when complete.
func Wikipedia(dir string, o WikipediaOptions) (WikipediaStats, error) {
	o, err := o.normalized()
	if err != nil {
		return WikipediaStats{}, err
	}
	if o.Bzip2 {
		if _, err := exec.LookPath("bzip2"); err != nil {
			return WikipediaStats{}, fmt.Errorf("%w: %w", ErrNoBzip2, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return WikipediaStats{}, fmt.Errorf("synth: %w", err)
	}
	out, err := openExport(filepath.Join(dir, o.Base), o)
	if err != nil {
		return WikipediaStats{}, err
	}
	g := &wikiGen{o: o, out: out, sha: sha1.New(), revID: 100_000, pageID: 10}
	return g.generate()
}

func (o WikipediaOptions) normalized() (WikipediaOptions, error) {
	o.Base = cmp.Or(o.Base, DefaultWikipediaBase)
	if err := checkSite(o.Base); err != nil {
		return o, fmt.Errorf("synth: Base %q must be a plain file name", o.Base)
	}
	if o.Pages < 0 {
		return o, fmt.Errorf("synth: Pages must be >= 0, got %d", o.Pages)
	}
	if o.TargetBytes < 0 {
		return o, fmt.Errorf("synth: TargetBytes must be >= 0, got %d", o.TargetBytes)
	}
	return o, nil
}

// openExport opens <base>.xml, bzip2 writing <base>.xml.bz2, or both.
func openExport(base string, o WikipediaOptions) (*dumpFile, error) {
	var sinks []sink
	if !o.Bzip2 || o.KeepXML {
		s, err := createFileSink(base + ".xml")
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	if o.Bzip2 {
		s, err := startCommandSink(base+".xml.bz2", "bzip2", "-c", "-9")
		if err != nil {
			for _, opened := range sinks {
				opened.abort()
			}
			return nil, err
		}
		sinks = append(sinks, s)
	}
	return newDumpFile(o.Progress, sinks...), nil
}

// wikiGen writes the export one page at a time.
type wikiGen struct {
	o      WikipediaOptions
	out    *dumpFile
	sha    hash.Hash
	sum    [sha1.Size]byte
	buf    []byte
	revID  int64
	pageID int64
	pages  int
	stats  WikipediaStats
}

func (g *wikiGen) generate() (WikipediaStats, error) {
	g.run()
	g.stats.XMLBytes = g.out.size()
	if err := closeAll(g.out); err != nil {
		return WikipediaStats{}, err
	}
	if g.o.Progress != nil {
		g.o.Progress(g.stats.XMLBytes)
	}
	g.stats.Files = g.out.paths()
	return g.stats, nil
}

// run writes the whole export; write errors stop it early and stay in the
// output.
func (g *wikiGen) run() {
	g.writeHeader()
	for g.out.err == nil && g.morePages() {
		g.page(newPageSim(g, g.pages))
		g.pages++
	}
	g.out.writeString("</mediawiki>\n")
}

func (g *wikiGen) morePages() bool {
	if g.o.TargetBytes > 0 {
		return g.out.size() < g.o.TargetBytes
	}
	return g.pages < g.o.Pages
}

// roomFor reports whether about n more bytes fit the target: a page ends
// early, between episodes, once the next revision would overshoot more
// than stopping undershoots.
func (g *wikiGen) roomFor(n int) bool {
	return g.o.TargetBytes <= 0 || g.o.TargetBytes-g.out.size() > int64(n)/2
}
