package wikipedia

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ingest "github.com/prefstream/prefstream/ingest/wikipedia"
	"github.com/prefstream/prefstream/schemas"
)

// realFixtureDir holds real export samples. They live outside the
// repository and are not copied into it.
const realFixtureDir = "../../../shared/fixtures/real/wikipedia"

// readPages reads a real export into Documents, page by page.
func readPages(t *testing.T, name string) [][]schemas.Document {
	t.Helper()
	path := filepath.Join(realFixtureDir, name)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("real Wikipedia sample %s not found in %s; skipping", name, realFixtureDir)
	}
	r, err := ingest.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pages [][]schemas.Document
	for {
		p, err := r.NextPage()
		if err == io.EOF {
			return pages
		}
		if err != nil {
			t.Fatal(err)
		}
		var revs []schemas.Document
		for {
			rev, err := r.NextRevision()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			revs = append(revs, rev.Document(p, ingest.DumpName(path), path, 0))
		}
		pages = append(pages, revs)
	}
}

// sha1Reverts finds the reverts of a whole page the plain way, from the
// sha1 each revision carries: revision k equals one of k-15..k-2 and not
// k-1. It returns the reverting revisions and those whose previous
// revision's text is not deleted (the ones that give a pair).
func sha1Reverts(page []schemas.Document) (reverts, withPair []string) {
	sums := make([]string, len(page))
	for i, d := range page {
		sums[i] = parseExtra(d.Extra).SHA1
	}
	for k := 2; k < len(page); k++ {
		if sums[k] == "" || sums[k] == sums[k-1] {
			continue
		}
		for j := max(0, k-15); j <= k-2; j++ {
			if sums[j] == sums[k] {
				reverts = append(reverts, page[k].ID)
				if !page[k-1].Has(schemas.FlagDeleted) {
					withPair = append(withPair, page[k].ID)
				}
				break
			}
		}
	}
	return reverts, withPair
}

func TestRealSampleReverts(t *testing.T) {
	pages := readPages(t, "simplewiki-history-sample-export-0.11.xml")
	var reverts, withPair, chosen []string
	var stats Stats
	for _, page := range pages {
		r, w := sha1Reverts(page)
		reverts, withPair = append(reverts, r...), append(withPair, w...)
		p := NewPager(DefaultOptions())
		for _, d := range page {
			for _, pair := range p.Add(d) {
				chosen = append(chosen, pair.ChosenID)
				if pair.Chosen == pair.Rejected || pair.Prompt != d.Title {
					t.Errorf("pair %+v", pair)
				}
			}
		}
		st := p.Stats()
		stats.Reverts += st.Reverts
		stats.SkippedDeletedPrevious += st.SkippedDeletedPrevious
	}
	if len(reverts) != 9 {
		t.Errorf("the sample has %d sha1-identity reverts by the plain count, want 9", len(reverts))
	}
	if stats.Reverts != len(reverts) {
		t.Errorf("the Pager saw %d reverts, the plain count %d", stats.Reverts, len(reverts))
	}
	if !reflect.DeepEqual(chosen, withPair) {
		t.Errorf("pairs chosen from %v, want %v (the reverts whose previous text is not deleted)", chosen, withPair)
	}
	if stats.SkippedDeletedPrevious != len(reverts)-len(withPair) {
		t.Errorf("%d skipped for a deleted previous text, want %d", stats.SkippedDeletedPrevious, len(reverts)-len(withPair))
	}
}

func TestRealSamplePyrusVandalismOnly(t *testing.T) {
	pages := readPages(t, "pywikibot-article-pyrus.xml.bz2")
	p := NewPager(Options{VandalismOnly: true})
	var ids []string
	for _, d := range pages[0] {
		for _, pair := range p.Add(d) {
			ids = append(ids, pair.ChosenID+">"+pair.RejectedID)
		}
	}
	// "rv" and "Reverted edits by ..." both name a revert.
	if want := []string{"190346463>189729426", "238392911>238138507"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("pairs %v, want %v", ids, want)
	}
}
