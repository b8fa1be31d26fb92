package wikipedia

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os/exec"
	"path"
	"strings"

	"github.com/bodgit/sevenzip"
)

// maxStderrBytes is how much of 7z's stderr is kept for error messages.
const maxStderrBytes = 2 << 10

// member is the export inside a 7z archive.
type member struct {
	archive string
	name    string
	size    int64  // uncompressed size
	crc32   uint32 // 0 when unknown
}

// extractor opens the decompressed stream of an archive member.
type extractor func(m member) (io.ReadCloser, error)

// defaultExtractor streams through the system 7z when there is one (much
// faster than pure Go LZMA), else through github.com/bodgit/sevenzip.
func defaultExtractor() extractor {
	if bin, err := exec.LookPath("7z"); err == nil {
		return extractWithBinary(bin)
	}
	return extractInProcess
}

func open7z(archive string, extract extractor) (io.ReadCloser, error) {
	m, err := findExport(archive)
	if err != nil {
		return nil, err
	}
	return extract(m)
}

// findExport picks the archive's first .xml member, else its first file.
// The header is read with the pure Go reader whatever the extractor: it is
// small and at the end of the archive, so a truncated archive fails here.
func findExport(archive string) (member, error) {
	r, err := sevenzip.OpenReader(archive)
	if err != nil {
		return member{}, &ReadError{File: archive, Err: fmt.Errorf("not a readable 7z archive (truncated or corrupt?): %w", err)}
	}
	defer r.Close()
	var found *sevenzip.File
	for _, f := range r.File {
		if f.FileInfo().IsDir() {
			continue
		}
		isXML := strings.EqualFold(path.Ext(f.Name), ".xml")
		if found == nil || isXML && !strings.EqualFold(path.Ext(found.Name), ".xml") {
			found = f
		}
	}
	if found == nil {
		return member{}, fmt.Errorf("wikipedia: archive %s holds no file", archive)
	}
	return member{archive: archive, name: found.Name, size: int64(found.UncompressedSize), crc32: found.CRC32}, nil
}

// extractWithBinary runs `7z x -so ARCHIVE MEMBER`. The stream reports 7z's
// failure or a short output at its end.
func extractWithBinary(bin string) extractor {
	return func(m member) (io.ReadCloser, error) {
		stderr := &tailBuffer{max: maxStderrBytes}
		cmd := exec.Command(bin, "x", "-so", "-bd", "-y", "-spd", "--", m.archive, m.name)
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			return nil, fmt.Errorf("wikipedia: extracting %s from %s: %w", m.name, m.archive, err)
		}
		return &commandStream{m: m, cmd: cmd, out: out, stderr: stderr}, nil
	}
}

type commandStream struct {
	m      member
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
		c.err = fmt.Errorf("wikipedia: extracting %s from %s: %w", c.m.name, c.m.archive, err)
	}
	return n, c.err
}

func (c *commandStream) finish() error {
	c.waited = true
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("wikipedia: 7z failed extracting %s from %s: %w: %s",
			c.m.name, c.m.archive, err, strings.TrimSpace(c.stderr.String()))
	}
	if err := checkSize(c.m, c.got); err != nil {
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
func extractInProcess(m member) (io.ReadCloser, error) {
	r, err := sevenzip.OpenReader(m.archive)
	if err != nil {
		return nil, fmt.Errorf("wikipedia: %s is not a readable 7z archive: %w", m.archive, err)
	}
	for _, f := range r.File {
		if f.Name != m.name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("wikipedia: extracting %s from %s: %w", m.name, m.archive, err)
		}
		return &checkedStream{m: m, archive: r, rc: rc, crc: crc32.NewIEEE()}, nil
	}
	r.Close()
	return nil, fmt.Errorf("wikipedia: archive %s has no member %s", m.archive, m.name)
}

type checkedStream struct {
	m       member
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
		c.err = fmt.Errorf("wikipedia: extracting %s from %s (truncated or corrupt?): %w", c.m.name, c.m.archive, err)
	}
	return n, c.err
}

func (c *checkedStream) finish() error {
	if err := checkSize(c.m, c.got); err != nil {
		return err
	}
	if c.m.crc32 != 0 && c.crc.Sum32() != c.m.crc32 {
		return fmt.Errorf("wikipedia: extracting %s from %s: CRC-32 mismatch: the archive is corrupt", c.m.name, c.m.archive)
	}
	return io.EOF
}

func (c *checkedStream) Close() error {
	return errors.Join(c.rc.Close(), c.archive.Close())
}

func checkSize(m member, got int64) error {
	if got != m.size {
		return fmt.Errorf("wikipedia: extracting %s from %s: got %d bytes, the archive header says %d: %w",
			m.name, m.archive, got, m.size, io.ErrUnexpectedEOF)
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
