package wikipedia

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

func open7z(archive string, extract sevenzip.Extractor) (io.ReadCloser, error) {
	m, err := findExport(archive)
	if err != nil {
		return nil, err
	}
	rc, err := extract(m)
	if err != nil {
		return nil, fmt.Errorf("wikipedia: %w", err)
	}
	return rc, nil
}

// findExport picks the archive's first .xml member, else its first file.
// A truncated archive fails here, as its header is at its end.
func findExport(archive string) (sevenzip.Member, error) {
	members, err := sevenzip.List(archive)
	if err != nil {
		return sevenzip.Member{}, &ReadError{File: archive, Err: err}
	}
	var found *sevenzip.Member
	for i, m := range members {
		isXML := strings.EqualFold(path.Ext(m.Name), ".xml")
		if found == nil || isXML && !strings.EqualFold(path.Ext(found.Name), ".xml") {
			found = &members[i]
		}
	}
	if found == nil {
		return sevenzip.Member{}, fmt.Errorf("wikipedia: archive %s holds no file", archive)
	}
	return *found, nil
}
