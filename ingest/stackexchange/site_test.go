package stackexchange

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

// testdata/synthetic.7z holds synthetic.Posts and synthetic.Votes as
// site/posts.xml and site/votes.xml (lower case, under a folder), so that
// the pure Go backend is tested even where no 7z binary is installed.
// Rebuild it with PREFSTREAM_UPDATE_TESTDATA=1 go test -run TestSyntheticArchive.
const syntheticArchive = "testdata/synthetic.7z"

func syntheticDump() (posts, votes []byte) {
	posts, gen := genPostsXML(99, 24<<10)
	votes, _ = genVotesXML(99, 200, int64(len(gen)))
	return posts, votes
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, open func() (io.ReadCloser, error)) ([]byte, error) {
	t.Helper()
	rc, err := open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if closeErr := rc.Close(); err == nil {
		err = closeErr
	}
	return data, err
}

func sevenZipBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("7z")
	if err != nil {
		t.Skip("7z binary not on PATH (Debian: apt-get install p7zip-full); skipping")
	}
	return bin
}

// make7z archives files (paths relative to dir) into archive with 7z.
func make7z(t *testing.T, bin, dir, archive string, files ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"a", "-bd", "-y", archive}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z a: %v\n%s", err, out)
	}
}

func backends(t *testing.T) map[string]sevenzip.Extractor {
	b := map[string]sevenzip.Extractor{"in-process": sevenzip.InProcess}
	if bin, err := exec.LookPath("7z"); err == nil {
		b["7z binary"] = sevenzip.Binary(bin)
	} else {
		t.Log("7z binary not on PATH: testing the pure Go backend only")
	}
	return b
}

func TestSyntheticArchive(t *testing.T) {
	posts, votes := syntheticDump()
	if os.Getenv("PREFSTREAM_UPDATE_TESTDATA") != "" {
		bin := sevenZipBinary(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "site", "posts.xml"), posts)
		writeFile(t, filepath.Join(dir, "site", "votes.xml"), votes)
		archive, _ := filepath.Abs(syntheticArchive)
		os.Remove(archive)
		make7z(t, bin, dir, archive, "site")
	}
	for name, extract := range backends(t) {
		t.Run(name, func(t *testing.T) {
			site, err := openSite(syntheticArchive, extract)
			if err != nil {
				t.Fatal(err)
			}
			if site.Name != "synthetic" || !site.HasVotes() || site.PostsSize() != int64(len(posts)) {
				t.Errorf("name %q, votes %v, posts size %d (want %d)", site.Name, site.HasVotes(), site.PostsSize(), len(posts))
			}
			if info, _ := os.Stat(syntheticArchive); site.CompressedSize() != info.Size() {
				t.Errorf("CompressedSize %d, want %d", site.CompressedSize(), info.Size())
			}
			if got, err := readAll(t, site.Posts); err != nil || !bytes.Equal(got, posts) {
				t.Errorf("Posts: %d bytes, %v; want the synthetic posts", len(got), err)
			}
			if got, err := readAll(t, site.Votes); err != nil || !bytes.Equal(got, votes) {
				t.Errorf("Votes: %d bytes, %v; want the synthetic votes", len(got), err)
			}
		})
	}
}

func TestCorruptArchive(t *testing.T) {
	data, err := os.ReadFile(syntheticArchive)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(data)
	for i := len(data) / 3; i < len(data)/3+64; i++ {
		corrupt[i] ^= 0x55
	}
	dir := t.TempDir()
	corruptPath := filepath.Join(dir, "corrupt.stackexchange.com.7z")
	writeFile(t, corruptPath, corrupt)
	truncatedPath := filepath.Join(dir, "truncated.stackexchange.com.7z")
	writeFile(t, truncatedPath, data[:len(data)*2/3])

	for name, extract := range backends(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := openSite(truncatedPath, extract); err == nil || !strings.Contains(err.Error(), truncatedPath) {
				t.Errorf("opening a truncated archive: %v, want an error naming it", err)
			}
			site, err := openSite(corruptPath, extract)
			if err != nil {
				t.Fatalf("the header is intact, yet: %v", err)
			}
			_, err = readAll(t, site.Posts)
			if err == nil || !strings.Contains(err.Error(), corruptPath) {
				t.Errorf("reading a corrupt archive: %v, want an error naming it", err)
			}
			t.Logf("corrupt archive error: %v", err)
		})
	}
}

func TestOpenSiteArchiveWith7z(t *testing.T) {
	bin := sevenZipBinary(t)
	posts, votes := syntheticDump()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "Posts.xml"), posts)
	writeFile(t, filepath.Join(src, "Votes.xml"), votes)
	dir := t.TempDir()
	archive := filepath.Join(dir, "ai.meta.stackexchange.com.7z")
	make7z(t, bin, src, archive, "Posts.xml", "Votes.xml")

	site, err := OpenSite(archive)
	if err != nil {
		t.Fatal(err)
	}
	if site.Name != "ai.meta.stackexchange.com" {
		t.Errorf("Name = %q", site.Name)
	}
	for name, extract := range backends(t) {
		t.Run(name, func(t *testing.T) {
			site.extract = extract
			if got, err := readAll(t, site.Posts); err != nil || !bytes.Equal(got, posts) {
				t.Errorf("Posts: %d bytes, %v", len(got), err)
			}
			if got, err := readAll(t, site.Votes); err != nil || !bytes.Equal(got, votes) {
				t.Errorf("Votes: %d bytes, %v", len(got), err)
			}
			rc, err := site.Posts()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(rc, make([]byte, 100)); err != nil {
				t.Fatal(err)
			}
			if err := rc.Close(); err != nil {
				t.Errorf("closing a stream read in part: %v", err)
			}
		})
	}
}

func TestOpenSiteSplitArchives(t *testing.T) {
	bin := sevenZipBinary(t)
	posts, votes := syntheticDump()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "Posts.xml"), posts)
	writeFile(t, filepath.Join(src, "Votes.xml"), votes)
	dir := t.TempDir()
	make7z(t, bin, src, filepath.Join(dir, "example.com-Posts.7z"), "Posts.xml")
	make7z(t, bin, src, filepath.Join(dir, "example.com-Votes.7z"), "Votes.xml")

	site, err := OpenSite(filepath.Join(dir, "example.com-Posts.7z"))
	if err != nil {
		t.Fatal(err)
	}
	if site.Name != "example.com" || !site.HasVotes() {
		t.Fatalf("Name %q, HasVotes %v", site.Name, site.HasVotes())
	}
	if got, err := readAll(t, site.Votes); err != nil || !bytes.Equal(got, votes) {
		t.Errorf("Votes: %d bytes, %v", len(got), err)
	}
	if !strings.Contains(site.Identity(), "example.com-Votes.7z") {
		t.Errorf("Identity %q does not cover the votes archive", site.Identity())
	}
}

func TestOpenSiteFolder(t *testing.T) {
	posts, votes := syntheticDump()
	dir := filepath.Join(t.TempDir(), "ai.stackexchange.com")
	writeFile(t, filepath.Join(dir, "Posts.xml"), posts)
	writeFile(t, filepath.Join(dir, "votes.XML"), votes)

	for _, path := range []string{dir, filepath.Join(dir, "Posts.xml")} {
		site, err := OpenSite(path)
		if err != nil {
			t.Fatal(err)
		}
		if site.Name != "ai.stackexchange.com" || !site.HasVotes() || site.Path != path {
			t.Errorf("%s: Name %q, HasVotes %v, Path %q", path, site.Name, site.HasVotes(), site.Path)
		}
		if site.PostsSize() != int64(len(posts)) || site.CompressedSize() != int64(len(posts)) {
			t.Errorf("%s: PostsSize %d, CompressedSize %d, want %d", path, site.PostsSize(), site.CompressedSize(), len(posts))
		}
		if got, err := readAll(t, site.Posts); err != nil || !bytes.Equal(got, posts) {
			t.Errorf("%s: Posts: %d bytes, %v", path, len(got), err)
		}
		if got, err := readAll(t, site.Votes); err != nil || !bytes.Equal(got, votes) {
			t.Errorf("%s: Votes: %d bytes, %v", path, len(got), err)
		}
	}
}

func TestSiteIdentity(t *testing.T) {
	posts, _ := syntheticDump()
	dir := filepath.Join(t.TempDir(), "ai.stackexchange.com")
	writeFile(t, filepath.Join(dir, "Posts.xml"), posts)
	identity := func() string {
		site, err := OpenSite(dir)
		if err != nil {
			t.Fatal(err)
		}
		return site.Identity()
	}
	first := identity()
	if first != identity() || !strings.HasPrefix(first, "ai.stackexchange.com|Posts.xml:") {
		t.Fatalf("Identity %q is not stable or lacks the name", first)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "Posts.xml"), later, later); err != nil {
		t.Fatal(err)
	}
	if identity() == first {
		t.Error("Identity did not change with the modification time")
	}
}

func TestOpenSiteWithoutVotes(t *testing.T) {
	posts, _ := syntheticDump()
	dir := filepath.Join(t.TempDir(), "site")
	writeFile(t, filepath.Join(dir, "Posts.xml"), posts)
	site, err := OpenSite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if site.HasVotes() {
		t.Error("HasVotes = true")
	}
	if _, err := site.Votes(); err == nil || !strings.Contains(err.Error(), "Votes.xml") {
		t.Errorf("Votes() error = %v", err)
	}
}

func TestOpenSiteErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("hello"))
	writeFile(t, filepath.Join(dir, "fake.7z"), []byte("not an archive at all"))
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(dir, "missing.7z"),
		filepath.Join(dir, "notes.txt"),
		filepath.Join(dir, "fake.7z"),
		filepath.Join(dir, "empty"),
	} {
		_, err := OpenSite(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.HasPrefix(err.Error(), "stackexchange: ") {
			t.Errorf("OpenSite(%s) error = %v, want one naming the path", path, err)
		}
		if path == filepath.Join(dir, "missing.7z") && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenSite(missing) error %v does not wrap os.ErrNotExist", err)
		}
	}
}

func TestArchiveChecksAtEnd(t *testing.T) {
	site, err := openSite(syntheticArchive, sevenzip.InProcess)
	if err != nil {
		t.Fatal(err)
	}
	badCRC := site.posts
	badCRC.crc32 ^= 1
	badSize := site.posts
	badSize.size--
	for name, extract := range backends(t) {
		cases := map[string]*source{"size": &badSize}
		if name == "in-process" {
			cases["crc"] = &badCRC // the 7z binary checks CRCs itself
		}
		for what, src := range cases {
			_, err := readAll(t, func() (io.ReadCloser, error) { return extractMember(extract, src) })
			if err == nil || !strings.Contains(err.Error(), syntheticArchive) {
				t.Errorf("%s, wrong %s in header: error %v, want one naming the archive", name, what, err)
			}
		}
	}
}
