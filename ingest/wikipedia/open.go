package wikipedia

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

var (
	bzip2Magic = []byte("BZh")
	sevenMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}
)

// Open opens an export: plain XML, bzip2 (decoded on all cores) or a 7z
// archive (its first .xml member). The format is told by the file's first
// bytes, not its name.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wikipedia: %w", err)
	}
	br := bufio.NewReaderSize(f, bzReadChunk)
	head, err := br.Peek(len(sevenMagic))
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("wikipedia: reading %s: %w", path, err)
	}
	switch {
	case bytes.HasPrefix(head, sevenMagic):
		f.Close()
		rc, err := open7z(path, sevenzip.Default())
		if err != nil {
			return nil, err
		}
		return NewReader(rc, path), nil
	case bytes.HasPrefix(head, bzip2Magic):
		return NewReader(newBzip2Reader(readCloser{br, f}, path, 0), path), nil
	}
	return NewReader(readCloser{br, f}, path), nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// DumpName is a dump file's base name without its compression and .xml
// extensions, e.g. "enwiki-20240601-pages-meta-history1.xml-p1p812" for
// ".../enwiki-20240601-pages-meta-history1.xml-p1p812.bz2".
func DumpName(path string) string {
	name := filepath.Base(path)
	for _, ext := range []string{".bz2", ".7z", ".xml"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			name = name[:len(name)-len(ext)]
		}
	}
	return name
}
