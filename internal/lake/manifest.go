package lake

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ManifestName is the manifest file of a partition directory.
const ManifestName = "_manifest.jsonl"

// Entry is one committed part: one line of a partition's manifest.
type Entry struct {
	File          string `json:"file"`
	FirstSeq      uint64 `json:"first_seq"`
	LastSeq       uint64 `json:"last_seq"`
	Seqs          int    `json:"seqs"`
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	SHA256        string `json:"sha256"`
	CommittedUnix int64  `json:"committed_unix"`
	// Ranges are the exact stream sequences the part holds.
	Ranges Ranges `json:"ranges"`
}

var partName = regexp.MustCompile(`^part-[0-9]{20}-[0-9]{20}\.parquet$`)

func partFile(first, last uint64) string {
	return fmt.Sprintf("part-%020d-%020d.parquet", first, last)
}

func (e *Entry) check() error {
	switch {
	case !partName.MatchString(e.File):
		return fmt.Errorf("bad file name %q", e.File)
	case len(e.Ranges) == 0 || !e.Ranges.valid():
		return fmt.Errorf("%s: bad ranges %v", e.File, e.Ranges)
	case e.Ranges[0][0] != e.FirstSeq || e.Ranges.Last() != e.LastSeq || e.Ranges.Count() != e.Seqs:
		return fmt.Errorf("%s: ranges %v disagree with first_seq %d, last_seq %d, seqs %d", e.File, e.Ranges, e.FirstSeq, e.LastSeq, e.Seqs)
	case e.File != partFile(e.FirstSeq, e.LastSeq):
		return fmt.Errorf("%s: name disagrees with first_seq %d, last_seq %d", e.File, e.FirstSeq, e.LastSeq)
	}
	return nil
}

// ReadManifest reads the committed entries of a partition directory, in commit order. A missing
// manifest is an empty partition. A last line without its newline is a commit in progress or torn
// by a crash, never acknowledged, and is left out.
func ReadManifest(partitionDir string) ([]Entry, error) {
	entries, _, err := readManifest(filepath.Join(partitionDir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}

// readManifest also returns the length of the complete lines, where a torn last line starts.
func readManifest(path string) ([]Entry, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("lake: read manifest: %w", err)
	}
	defer f.Close()
	return parseManifest(path, f)
}

func parseManifest(path string, r io.Reader) ([]Entry, int64, error) {
	var (
		entries  []Entry
		complete int64
		br       = bufio.NewReader(r)
	)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return entries, complete, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("lake: read manifest %s: %w", path, err)
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, 0, fmt.Errorf("lake: manifest %s line %d: %w", path, n, err)
		}
		if err := e.check(); err != nil {
			return nil, 0, fmt.Errorf("lake: manifest %s line %d: %w", path, n, err)
		}
		entries = append(entries, e)
		complete += int64(len(line))
	}
}
