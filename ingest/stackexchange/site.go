package stackexchange

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

const (
	postsFile = "Posts.xml"
	votesFile = "Votes.xml"
	// splitPostsSuffix marks the per-table archives of the largest sites,
	// such as stackoverflow.com-Posts.7z next to stackoverflow.com-Votes.7z.
	splitPostsSuffix = "-Posts"
	splitVotesSuffix = "-Votes"
)

// Site is one site's dump: a site .7z archive, an extracted site folder, or
// a Posts.xml file (with Votes.xml beside it, if present).
type Site struct {
	Name string // e.g. "ai.meta.stackexchange.com"
	Path string // the path given to OpenSite

	posts   source
	votes   *source
	extract sevenzip.Extractor
}

// source is one dump file: a plain file, or a member of a .7z archive.
type source struct {
	path   string      // the file on disk: the XML file or the archive
	info   os.FileInfo // of path
	member string      // the member's name inside the archive; "" for a plain file
	size   int64       // uncompressed size; -1 when unknown
	crc32  uint32      // the member's CRC-32 from the archive header; 0 when unknown
}

// OpenSite opens a site's dump at path: a .7z archive, a folder holding
// Posts.xml, or a Posts.xml file. Votes are optional.
func OpenSite(path string) (*Site, error) {
	return openSite(path, sevenzip.Default())
}

func openSite(path string, extract sevenzip.Extractor) (*Site, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("stackexchange: opening site: %w", err)
	}
	site := &Site{Path: path, extract: extract}
	switch {
	case info.IsDir():
		err = site.openFolder(path)
	case strings.EqualFold(filepath.Ext(path), ".7z"):
		err = site.openArchive(path, info)
	case strings.EqualFold(filepath.Base(path), postsFile):
		err = site.openPostsFile(path, info)
	default:
		err = fmt.Errorf("stackexchange: %s is neither a site .7z archive, a site folder nor a %s file", path, postsFile)
	}
	if err != nil {
		return nil, err
	}
	return site, nil
}

func (s *Site) openFolder(dir string) error {
	s.Name = filepath.Base(absPath(dir))
	posts, err := findFileFold(dir, postsFile)
	if err != nil {
		return err
	}
	if posts == nil {
		return fmt.Errorf("stackexchange: site folder %s has no %s", dir, postsFile)
	}
	s.posts = *posts
	s.votes, err = findFileFold(dir, votesFile)
	return err
}

func (s *Site) openPostsFile(path string, info os.FileInfo) error {
	dir := filepath.Dir(absPath(path))
	s.Name = filepath.Base(dir)
	s.posts = plainSource(path, info)
	var err error
	s.votes, err = findFileFold(dir, votesFile)
	return err
}

func (s *Site) openArchive(path string, info os.FileInfo) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	posts, votes, err := listArchive(path, info)
	if err != nil {
		return err
	}
	if posts == nil {
		return fmt.Errorf("stackexchange: archive %s has no %s", path, postsFile)
	}
	if votes == nil && hasSuffixFold(name, splitPostsSuffix) {
		name = name[:len(name)-len(splitPostsSuffix)]
		if votes, err = splitVotesArchive(filepath.Dir(path), name); err != nil {
			return err
		}
	}
	s.Name, s.posts, s.votes = name, *posts, votes
	return nil
}

// splitVotesArchive finds NAME-Votes.7z beside NAME-Posts.7z, if any.
func splitVotesArchive(dir, name string) (*source, error) {
	archive, err := findFileFold(dir, name+splitVotesSuffix+".7z")
	if err != nil || archive == nil {
		return nil, err
	}
	_, votes, err := listArchive(archive.path, archive.info)
	return votes, err
}

// PostsSize is the uncompressed size of Posts.xml when known, else -1.
func (s *Site) PostsSize() int64 { return s.posts.size }

// CompressedSize is the size on disk of the file holding Posts.xml: the
// archive, or Posts.xml itself.
func (s *Site) CompressedSize() int64 { return s.posts.info.Size() }

// HasVotes reports whether the dump has a Votes.xml.
func (s *Site) HasVotes() bool { return s.votes != nil }

// Posts opens the decompressed Posts.xml stream.
func (s *Site) Posts() (io.ReadCloser, error) { return s.open(&s.posts) }

// Votes opens the decompressed Votes.xml stream.
func (s *Site) Votes() (io.ReadCloser, error) {
	if s.votes == nil {
		return nil, fmt.Errorf("stackexchange: site %s (%s) has no %s", s.Name, s.Path, votesFile)
	}
	return s.open(s.votes)
}

func (s *Site) open(src *source) (io.ReadCloser, error) {
	if src.member != "" {
		return extractMember(s.extract, src)
	}
	f, err := os.Open(src.path)
	if err != nil {
		return nil, fmt.Errorf("stackexchange: %w", err)
	}
	return f, nil
}

// Identity is a stable id of this dump for checkpoints: the site name and
// the name, size and modification time of each input file.
func (s *Site) Identity() string {
	var b strings.Builder
	b.WriteString(s.Name)
	writeFileIdentity(&b, s.posts.info)
	if s.votes != nil && s.votes.path != s.posts.path {
		writeFileIdentity(&b, s.votes.info)
	}
	return b.String()
}

func writeFileIdentity(b *strings.Builder, info os.FileInfo) {
	fmt.Fprintf(b, "|%s:%d:%d", info.Name(), info.Size(), info.ModTime().UnixNano())
}

func plainSource(path string, info os.FileInfo) source {
	return source{path: path, info: info, size: info.Size()}
}

// findFileFold finds the regular file named name in dir, ignoring case; nil
// when there is none.
func findFileFold(dir, name string) (*source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("stackexchange: reading site folder: %w", err)
	}
	for _, e := range entries {
		if !strings.EqualFold(e.Name(), name) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("stackexchange: %w", err)
		}
		if info.Mode().IsRegular() {
			src := plainSource(path, info)
			return &src, nil
		}
	}
	return nil, nil
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
