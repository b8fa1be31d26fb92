package synth

import (
	"bytes"
	"crypto/sha1"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	featwiki "github.com/prefstream/prefstream/featurize/wikipedia"
	"github.com/prefstream/prefstream/ingest/wikipedia"
)

func wikiOptions(pages int) WikipediaOptions {
	return WikipediaOptions{Pages: pages, Seed: 5}
}

// export is a generated export, read back with ingest/wikipedia.
type export struct {
	stats WikipediaStats
	xml   []byte
	pages []wikiPage
}

type wikiPage struct {
	page      wikipedia.Page
	revisions []wikipedia.Revision
}

func generateWikipedia(t testing.TB, o WikipediaOptions) *export {
	t.Helper()
	st, err := Wikipedia(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	e := &export{stats: st, pages: readExport(t, st.Files[0])}
	if e.xml, err = os.ReadFile(st.Files[0]); err != nil {
		t.Fatal(err)
	}
	return e
}

func readExport(t testing.TB, path string) []wikiPage {
	t.Helper()
	r, err := wikipedia.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pages []wikiPage
	for {
		p, err := r.NextPage()
		if err == io.EOF {
			return pages
		}
		if err != nil {
			t.Fatalf("NextPage: %v", err)
		}
		wp := wikiPage{page: p}
		for {
			rev, err := r.NextRevision()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("NextRevision: %v", err)
			}
			wp.revisions = append(wp.revisions, rev)
		}
		pages = append(pages, wp)
	}
}

func TestWikipediaDeterministic(t *testing.T) {
	o := wikiOptions(40)
	a, b := generateWikipedia(t, o), generateWikipedia(t, o)
	if !bytes.Equal(a.xml, b.xml) {
		t.Fatal("same options gave different exports")
	}
	o.Seed++
	if c := generateWikipedia(t, o); bytes.Equal(a.xml, c.xml) {
		t.Fatal("a different seed gave the same export")
	}
}

func TestWikipediaExportInvariants(t *testing.T) {
	e := generateWikipedia(t, wikiOptions(120))
	if len(e.pages) != e.stats.Pages || e.stats.XMLBytes != int64(len(e.xml)) {
		t.Fatalf("read %d pages of %d; %d bytes, stats say %d", len(e.pages), e.stats.Pages, len(e.xml), e.stats.XMLBytes)
	}
	titles := map[string]bool{}
	namespaces := map[int]int{}
	revisions := 0
	for _, p := range e.pages {
		if titles[p.page.Title] && p.page.NS != 2 {
			t.Errorf("title %q used twice", p.page.Title)
		}
		titles[p.page.Title] = true
		namespaces[p.page.NS]++
		revisions += len(p.revisions)
		checkHistory(t, p)
	}
	if revisions != e.stats.Revisions {
		t.Errorf("%d revisions, stats say %d", revisions, e.stats.Revisions)
	}
	if namespaces[0] < len(e.pages)*2/3 || len(namespaces) < 4 {
		t.Errorf("namespaces %v", namespaces)
	}
	checkExportQuirks(t, e)
	checkWellFormed(t, e.xml)
}

// checkWellFormed reads every token with encoding/xml.
func checkWellFormed(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("encoding/xml: %v", err)
		}
	}
}

// checkHistory checks a page's chain of revisions and its hashes.
func checkHistory(t *testing.T, p wikiPage) {
	t.Helper()
	var prev wikipedia.Revision
	for i, rev := range p.revisions {
		if i > 0 && (rev.ParentID != prev.ID || rev.ID <= prev.ID || rev.Timestamp < prev.Timestamp) {
			t.Fatalf("%q: revision %d (parent %d, time %d) after %d (time %d)", p.page.Title, rev.ID, rev.ParentID, rev.Timestamp, prev.ID, prev.Timestamp)
		}
		if i == 0 && rev.ParentID != 0 {
			t.Fatalf("%q: first revision has parent %d", p.page.Title, rev.ParentID)
		}
		if !rev.TextDeleted && rev.SHA1 != wikipedia.SHA1Base36(rev.Text) {
			t.Fatalf("%q revision %d: sha1 %s, text hashes to %s", p.page.Title, rev.ID, rev.SHA1, wikipedia.SHA1Base36(rev.Text))
		}
		prev = rev
	}
}

func checkExportQuirks(t *testing.T, e *export) {
	t.Helper()
	var deletedText, deletedComment, deletedUser, ips, redirects, emptyText int
	for _, p := range e.pages {
		count(&redirects, p.page.Redirect)
		for _, rev := range p.revisions {
			count(&deletedText, rev.TextDeleted)
			count(&deletedComment, rev.CommentDeleted)
			count(&deletedUser, rev.ContributorDeleted)
			count(&ips, strings.Count(rev.Contributor, ".") == 3 || strings.Contains(rev.Contributor, "::"))
			count(&emptyText, !rev.TextDeleted && rev.Text == "")
		}
	}
	if deletedText == 0 || deletedComment == 0 || deletedUser == 0 || ips == 0 || redirects == 0 || emptyText == 0 {
		t.Errorf("deleted text %d, comment %d, contributor %d; %d IP edits, %d redirects, %d empty texts",
			deletedText, deletedComment, deletedUser, ips, redirects, emptyText)
	}
	for _, want := range []string{"<sha1/>", "<sha1 />", "<content>", "<role>mediainfo</role>", "<minor />", `<text bytes="-1" deleted="deleted" />`, "\n== "} {
		if !bytes.Contains(e.xml, []byte(want)) {
			t.Errorf("export lacks %q", want)
		}
	}
}

// TestWikipediaRevertsFound finds the identity reverts with a loop of its
// own over the parsed revisions and with the reverts recipe's Pager: both
// must find exactly the planted ones, at distances from 2 to 15.
func TestWikipediaRevertsFound(t *testing.T) {
	e := generateWikipedia(t, wikiOptions(200))
	found, distances := 0, map[int]int{}
	pager := featwiki.NewPager(featwiki.DefaultOptions())
	vandalOnly := featwiki.NewPager(featwiki.Options{VandalismOnly: true})
	for _, p := range e.pages {
		for k, rev := range p.revisions {
			if d := revertDistance(p.revisions, k); d > 0 {
				found++
				distances[d]++
			}
			doc := rev.Document(p.page, "synth", "synth.xml", 0)
			pager.Add(doc)
			vandalOnly.Add(doc)
		}
	}
	t.Logf("%d planted, %d found; distances %v; pager %+v; vandalism-only pairs %d", e.stats.Reverts, found, distances, pager.Stats(), vandalOnly.Stats().Pairs)
	if found != e.stats.Reverts || pager.Stats().Reverts != found || found < 100 {
		t.Fatalf("planted %d reverts, found %d, the pager %d", e.stats.Reverts, found, pager.Stats().Reverts)
	}
	if distances[2] == 0 || distances[3] == 0 || longest(distances) < 8 {
		t.Errorf("revert distances %v", distances)
	}
	if st := pager.Stats(); st.Pairs < found*3/4 || vandalOnly.Stats().Pairs < st.Pairs*3/4 {
		t.Errorf("pairs %d of %d reverts, %d with revert comments", st.Pairs, found, vandalOnly.Stats().Pairs)
	}
}

// revertDistance is k-j when revision k restores revision j, k-15 <= j <=
// k-2, and differs from revision k-1; else 0. Deleted texts have no hash.
func revertDistance(revs []wikipedia.Revision, k int) int {
	h := revs[k].SHA1
	if h == "" || k < 2 || revs[k-1].SHA1 == h {
		return 0
	}
	for j := k - 2; j >= max(0, k-15); j-- {
		if revs[j].SHA1 == h {
			return k - j
		}
	}
	return 0
}

func longest(distances map[int]int) int {
	most := 0
	for d := range distances {
		most = max(most, d)
	}
	return most
}

// TestWikipediaVandalismIsJunk checks that what reverts undo reads as
// vandalism against the restored text: shouting, nonsense, silliness, a
// changed number, or lost text.
func TestWikipediaVandalismIsJunk(t *testing.T) {
	e := generateWikipedia(t, wikiOptions(100))
	reverts, junk := 0, 0
	for _, p := range e.pages {
		for k, rev := range p.revisions {
			if revertDistance(p.revisions, k) == 0 || p.revisions[k-1].TextDeleted {
				continue
			}
			reverts++
			count(&junk, vandalised(p.revisions[k-1].Text, rev.Text))
		}
	}
	t.Logf("%d of %d reverted texts look vandalised", junk, reverts)
	if junk < reverts*9/10 {
		t.Errorf("only %d of %d reverted texts look vandalised", junk, reverts)
	}
}

func vandalised(text, restored string) bool {
	return len(shouting(text)) > len(shouting(restored)) || len(text) < len(restored) ||
		stripDigits(text) == stripDigits(restored) || hasNew(text, restored, "poop", "lol", "FREE PRIZES", "who even", "so gay") ||
		hasMash(text, restored)
}

func stripDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}

func hasNew(text, restored string, markers ...string) bool {
	for _, m := range markers {
		if strings.Contains(text, m) && !strings.Contains(restored, m) {
			return true
		}
	}
	return false
}

// hasMash reports a new word of three or more letters typed along a
// keyboard row.
func hasMash(text, restored string) bool {
	for _, w := range strings.Fields(text) {
		if len(w) < 3 || strings.Contains(restored, w) {
			continue
		}
		for _, row := range mashRows {
			if strings.Contains(row, w) {
				return true
			}
		}
	}
	return false
}

func TestWikipediaTargetBytes(t *testing.T) {
	for _, target := range []int64{1 << 20, 5 << 20} {
		o := wikiOptions(1) // ignored
		o.TargetBytes = target
		st, err := Wikipedia(t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		off := float64(st.XMLBytes-target) / float64(target)
		t.Logf("target %d: %d bytes (%+.2f%%), %d pages, %d revisions", target, st.XMLBytes, 100*off, st.Pages, st.Revisions)
		if math.Abs(off) > 0.05 {
			t.Errorf("target %d: wrote %d bytes", target, st.XMLBytes)
		}
	}
}

func TestWikipediaBzip2(t *testing.T) {
	if _, err := exec.LookPath("bzip2"); err != nil {
		t.Skip("bzip2 not on PATH")
	}
	dir := t.TempDir()
	o := wikiOptions(30)
	o.Bzip2, o.KeepXML = true, true
	st, err := Wikipedia(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, DefaultWikipediaBase)
	if len(st.Files) != 2 || st.Files[0] != base+".xml" || st.Files[1] != base+".xml.bz2" {
		t.Fatalf("Files = %v", st.Files)
	}
	plain, packed := readExport(t, st.Files[0]), readExport(t, st.Files[1])
	if len(plain) != 30 || len(packed) != len(plain) || packed[29].revisions[0].Text != plain[29].revisions[0].Text {
		t.Fatalf("%d pages from .xml, %d from .bz2", len(plain), len(packed))
	}
	o.KeepXML = false
	dir = t.TempDir()
	if st, err = Wikipedia(dir, o); err != nil || len(st.Files) != 1 || !strings.HasSuffix(st.Files[0], ".xml.bz2") {
		t.Fatalf("without KeepXML: %v, %v", st.Files, err)
	}
	if _, err := os.Stat(filepath.Join(dir, DefaultWikipediaBase+".xml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the .xml was kept: %v", err)
	}
}

func TestWikipediaBzip2Missing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	o := wikiOptions(3)
	o.Bzip2 = true
	if _, err := Wikipedia(t.TempDir(), o); !errors.Is(err, ErrNoBzip2) {
		t.Fatalf("err = %v, want ErrNoBzip2", err)
	}
}

func TestWikipediaSHA1Base36(t *testing.T) {
	g := &wikiGen{sha: sha1.New()}
	for _, text := range []string{"", "{{babel|en}}", strings.Repeat("naïve ", 5000)} {
		got, size := g.hashText([]*block{newBlock([]byte(text), otherBlock)})
		if want := wikipedia.SHA1Base36(text); got != want || size != len(text) {
			t.Errorf("hash of %.20q: %s (%d bytes), want %s", text, got, size, want)
		}
	}
	if got, _ := g.hashText(nil); got != emptySHA1 {
		t.Errorf("empty text hashes to %s", got)
	}
}

func TestWikipediaProgress(t *testing.T) {
	o := wikiOptions(1)
	o.TargetBytes = 3 << 20
	var calls []int64
	o.Progress = func(n int64) { calls = append(calls, n) }
	st, err := Wikipedia(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 || calls[len(calls)-1] != st.XMLBytes {
		t.Fatalf("progress calls %v, XMLBytes %d", calls, st.XMLBytes)
	}
}

func TestWikipediaOptionsErrors(t *testing.T) {
	for _, o := range []WikipediaOptions{
		{Pages: -1},
		{Pages: 1, TargetBytes: -1},
		{Pages: 1, Base: "a/b"},
		{Pages: 1, Base: ".."},
	} {
		if _, err := Wikipedia(t.TempDir(), o); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("%+v: err = %v", o, err)
		}
	}
}

func TestWikipediaZeroPages(t *testing.T) {
	e := generateWikipedia(t, wikiOptions(0))
	if len(e.pages) != 0 || !bytes.HasSuffix(e.xml, []byte("</siteinfo>\n</mediawiki>\n")) {
		t.Fatalf("%d pages:\n%s", len(e.pages), e.xml)
	}
}

// BenchmarkWikipedia measures XML generation on one core; each iteration
// writes 32 MB.
func BenchmarkWikipedia(b *testing.B) {
	o := wikiOptions(1)
	o.TargetBytes = 32 << 20
	dir := b.TempDir()
	var written int64
	for b.Loop() {
		st, err := Wikipedia(dir, o)
		if err != nil {
			b.Fatal(err)
		}
		written = st.XMLBytes
	}
	b.SetBytes(written)
}
