package stackexchange

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

// listArchive reads the archive's header and finds Posts.xml and Votes.xml
// by base name, ignoring case, at the root or under a folder.
func listArchive(archive string, info os.FileInfo) (posts, votes *source, err error) {
	members, err := sevenzip.List(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("stackexchange: %w", err)
	}
	for _, m := range members {
		src := &source{path: archive, info: info, member: m.Name, size: m.Size, crc32: m.CRC32}
		switch base := path.Base(strings.ReplaceAll(m.Name, `\`, "/")); {
		case strings.EqualFold(base, postsFile) && shallower(src, posts):
			posts = src
		case strings.EqualFold(base, votesFile) && shallower(src, votes):
			votes = src
		}
	}
	return posts, votes, nil
}

// shallower prefers the member nearest the archive root.
func shallower(candidate, current *source) bool {
	return current == nil || len(candidate.member) < len(current.member)
}

// archiveMember is src, a member of an archive, as the extractors see it.
func (src *source) archiveMember() sevenzip.Member {
	return sevenzip.Member{Archive: src.path, Name: src.member, Size: src.size, CRC32: src.crc32}
}

// extractMember opens the decompressed stream of src, a member of an archive.
func extractMember(extract sevenzip.Extractor, src *source) (io.ReadCloser, error) {
	rc, err := extract(src.archiveMember())
	if err != nil {
		return nil, fmt.Errorf("stackexchange: %w", err)
	}
	return rc, nil
}
