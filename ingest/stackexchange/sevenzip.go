package stackexchange

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path"
	"strings"

	"github.com/bodgit/sevenzip"
)

// maxStderrBytes is how much of 7z's stderr is kept for error messages.
const maxStderrBytes = 2 << 10

// extractor opens the decompressed stream of an archive member.
type extractor func(src *source) (io.ReadCloser, error)

// sevenZipBinaries are the names of the 7-Zip command line tool: p7zip's
// and 7-Zip's own Linux build.
var sevenZipBinaries = []string{"7z", "7zz"}

// defaultExtractor streams members through the system 7z binary when there
// is one, as it is much faster than pure Go LZMA, and else through
// github.com/bodgit/sevenzip.
func defaultExtractor() extractor {
	for _, name := range sevenZipBinaries {
		if bin, err := exec.LookPath(name); err == nil {
			return extractWithBinary(bin)
		}
	}
	return extractInProcess
}

// listArchive reads the archive's header and finds Posts.xml and Votes.xml
// by base name, ignoring case, at the root or under a folder. The header is
// read with the pure Go reader whatever the extractor: it is small and at the
// end of the archive, so a truncated archive fails here.
func listArchive(archive string, info os.FileInfo) (posts, votes *source, err error) {
	r, err := sevenzip.OpenReader(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("stackexchange: %s is not a readable 7z archive (truncated or corrupt?): %w", archive, err)
	}
	defer r.Close()
	for _, f := range r.File {
		src := &source{path: archive, info: info, member: f.Name, size: int64(f.UncompressedSize), crc32: f.CRC32}
		switch base := path.Base(strings.ReplaceAll(f.Name, `\`, "/")); {
		case f.FileInfo().IsDir():
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

// extractWithBinary runs `7z x -so ARCHIVE MEMBER`. The stream reports 7z's
// failure (exit status and stderr) or a short output at its end, so a
// corrupt archive is an error rather than a silently short file.
func extractWithBinary(bin string) extractor {
	return func(src *source) (io.ReadCloser, error) {
		stderr := &tailBuffer{max: maxStderrBytes}
		cmd := exec.Command(bin, "x", "-so", "-bd", "-y", "-spd", "--", src.path, src.member)
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, fmt.Errorf("stackexchange: extracting %s from %s: %w", src.member, src.path, err)
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("stackexchange: extracting %s from %s: %w", src.member, src.path, err)
		}
		return &commandStream{src: src, cmd: cmd, out: out, stderr: stderr}, nil
	}
}

type commandStream struct {
	src    *source
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr *tailBuffer
	got    int64
	err    error // sticky; io.EOF once the end has been verified
	waited bool
}

func (c *commandStream) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.out.Read(p)
	c.got += int64(n)
	switch {
	case err == io.EOF:
		c.err = c.finish()
	case err != nil:
		c.err = fmt.Errorf("stackexchange: extracting %s from %s: %w", c.src.member, c.src.path, err)
	}
	return n, c.err
}

// finish waits for 7z and checks its exit status and the output size.
func (c *commandStream) finish() error {
	c.waited = true
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("stackexchange: 7z failed extracting %s from %s: %w: %s",
			c.src.member, c.src.path, err, strings.TrimSpace(c.stderr.String()))
	}
	if err := checkSize(c.src, c.got); err != nil {
		return err
	}
	return io.EOF
}

// Close stops 7z if the stream was not read to its end.
func (c *commandStream) Close() error {
	if !c.waited {
		c.waited = true
		_ = c.cmd.Process.Kill() // our own child, stopped early on purpose
		_ = c.cmd.Wait()
		return nil
	}
	if c.err == io.EOF {
		return nil
	}
	return c.err
}

// extractInProcess decompresses with github.com/bodgit/sevenzip and checks
// the member's size and CRC-32 at its end.
func extractInProcess(src *source) (io.ReadCloser, error) {
	r, err := sevenzip.OpenReader(src.path)
	if err != nil {
		return nil, fmt.Errorf("stackexchange: %s is not a readable 7z archive: %w", src.path, err)
	}
	for _, f := range r.File {
		if f.Name != src.member {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("stackexchange: extracting %s from %s: %w", src.member, src.path, err)
		}
		return &checkedStream{src: src, archive: r, rc: rc, crc: crc32.NewIEEE()}, nil
	}
	r.Close()
	return nil, fmt.Errorf("stackexchange: archive %s has no member %s", src.path, src.member)
}

type checkedStream struct {
	src     *source
	archive *sevenzip.ReadCloser
	rc      io.ReadCloser
	crc     hash.Hash32
	got     int64
	err     error // sticky; io.EOF once the end has been verified
}

func (c *checkedStream) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.rc.Read(p)
	c.got += int64(n)
	c.crc.Write(p[:n])
	switch {
	case err == io.EOF:
		c.err = c.finish()
	case err != nil:
		c.err = fmt.Errorf("stackexchange: extracting %s from %s (truncated or corrupt?): %w", c.src.member, c.src.path, err)
	}
	return n, c.err
}

func (c *checkedStream) finish() error {
	if err := checkSize(c.src, c.got); err != nil {
		return err
	}
	if c.src.crc32 != 0 && c.crc.Sum32() != c.src.crc32 {
		return fmt.Errorf("stackexchange: extracting %s from %s: CRC-32 mismatch: the archive is corrupt", c.src.member, c.src.path)
	}
	return io.EOF
}

func (c *checkedStream) Close() error {
	return errors.Join(c.rc.Close(), c.archive.Close())
}

// checkSize checks got against the size in the archive header.
func checkSize(src *source, got int64) error {
	if src.size >= 0 && got != src.size {
		return fmt.Errorf("stackexchange: extracting %s from %s: got %d bytes, the archive header says %d: %w",
			src.member, src.path, got, src.size, io.ErrUnexpectedEOF)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	return string(t.buf[max(0, len(t.buf)-t.max):])
}
