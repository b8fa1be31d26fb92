package wikipedia

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

// realFixtureDir holds real export samples. They live outside the
// repository and are not copied into it.
const realFixtureDir = "../../../shared/fixtures/real/wikipedia"

func realFixture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(realFixtureDir, name)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("real Wikipedia sample %s not found in %s; skipping", name, realFixtureDir)
	} else if err != nil {
		t.Fatal(err)
	}
	return path
}

func openAll(t *testing.T, path string) []decoded {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return readAll(t, r)
}

func TestRealSample011(t *testing.T) {
	path := realFixture(t, "simplewiki-history-sample-export-0.11.xml")
	pages := openAll(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compareDecoded(t, withoutOffsets(pages), decodeWithEncodingXML(t, data, nil))
	checkOffsets(t, data, pages)

	if len(pages) != 2 {
		t.Fatalf("%d pages, want 2", len(pages))
	}
	var revisions, textDeleted, commentDeleted, contributorDeleted, ips, emptySHA1InDump int
	for _, p := range pages {
		for _, rev := range p.Revisions {
			revisions++
			switch {
			case rev.TextDeleted:
				textDeleted++
				if rev.Text != "" || rev.SHA1 != "" {
					t.Errorf("revision %d: deleted text has text %q / sha1 %q", rev.ID, rev.Text, rev.SHA1)
				}
			case rev.SHA1 != SHA1Base36(rev.Text):
				// The dump's own sha1 must be what SHA1Base36 computes.
				t.Errorf("revision %d: dump sha1 %s, computed %s", rev.ID, rev.SHA1, SHA1Base36(rev.Text))
			}
			if rev.CommentDeleted {
				commentDeleted++
			}
			if rev.ContributorDeleted {
				contributorDeleted++
				if rev.Contributor != "" {
					t.Errorf("revision %d: deleted contributor %q", rev.ID, rev.Contributor)
				}
			}
			if isIP(rev.Contributor) {
				ips++
			}
		}
	}
	for _, sha1 := range []string{"<sha1 />", "<sha1/>"} {
		emptySHA1InDump += countBytes(data, sha1)
	}
	if revisions != 33 || textDeleted == 0 || commentDeleted == 0 || contributorDeleted == 0 || ips == 0 || emptySHA1InDump == 0 {
		t.Errorf("revisions %d (want 33), deleted text %d, comment %d, contributor %d, IP editors %d, empty sha1 %d: want all > 0",
			revisions, textDeleted, commentDeleted, contributorDeleted, ips, emptySHA1InDump)
	}
	if pages[0].Page != (Page{ID: 45046, NS: 2, Title: "User:Ryulong"}) {
		t.Errorf("first page %+v", pages[0].Page)
	}
}

func isIP(s string) bool {
	dots := 0
	for _, c := range s {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 3
}

func countBytes(data []byte, s string) int {
	n := 0
	for i := 0; i+len(s) <= len(data); i++ {
		if string(data[i:i+len(s)]) == s {
			n++
		}
	}
	return n
}

func TestRealSample010(t *testing.T) {
	path := realFixture(t, "pywikibot-pair-0.10.xml")
	pages := openAll(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compareDecoded(t, withoutOffsets(pages), decodeWithEncodingXML(t, data, nil))
	if len(pages) != 2 || pages[0].Page.NS != 0 || pages[1].Page.NS != 1 || len(pages[0].Revisions) != 2 {
		t.Fatalf("pages %+v", pages)
	}
	for _, p := range pages {
		for _, rev := range p.Revisions {
			if rev.SHA1 != SHA1Base36(rev.Text) {
				t.Errorf("revision %d: dump sha1 %s, computed %s", rev.ID, rev.SHA1, SHA1Base36(rev.Text))
			}
		}
	}
}

// The pyrus article is an old (0.3) export: no <ns>, no <sha1>.
func TestRealSampleCompressed(t *testing.T) {
	bz2 := openAll(t, realFixture(t, "pywikibot-article-pyrus.xml.bz2"))
	if len(bz2) != 1 || len(bz2[0].Revisions) != 6 || !bz2[0].Page.Redirect || bz2[0].Page.NS != 0 {
		t.Fatalf("pages %+v", bz2)
	}
	for _, rev := range bz2[0].Revisions {
		if rev.SHA1 != SHA1Base36(rev.Text) || len(rev.SHA1) != 31 {
			t.Errorf("revision %d: sha1 %q not computed", rev.ID, rev.SHA1)
		}
	}
	if _, err := exec.LookPath("7z"); err != nil {
		t.Log("no system 7z: only the pure Go extractor is tested")
	} else {
		compareDecoded(t, openAll(t, realFixture(t, "pywikibot-article-pyrus.xml.7z")), bz2)
	}
	rc, err := open7z(realFixture(t, "pywikibot-article-pyrus.xml.7z"), sevenzip.InProcess)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(rc, "pyrus.7z")
	defer r.Close()
	compareDecoded(t, readAll(t, r), bz2)
}

func TestOpenTruncated7z(t *testing.T) {
	data, err := os.ReadFile(realFixture(t, "pywikibot-article-pyrus.xml.7z"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.xml.7z")
	if err := os.WriteFile(path, data[:len(data)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	var re *ReadError
	if _, err := Open(path); !errors.As(err, &re) || re.File != path {
		t.Errorf("Open of a truncated 7z archive: %v, want a *ReadError naming it", err)
	}
}
