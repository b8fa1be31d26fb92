// Package sevenzip is prefstream's 7z plumbing: it reads members of 7z
// archives through the system 7z binary when there is one, as it is much
// faster than pure Go LZMA, else through github.com/bodgit/sevenzip. Either
// way a truncated or corrupt archive is an error, never a silently short
// stream: the member's size (and, in process, its CRC-32) is checked against
// the archive header at the end of the stream.
//
// Errors name the archive and the member but carry no package prefix:
// callers add their own.
package sevenzip

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os/exec"
	"strings"

	bodgit "github.com/bodgit/sevenzip"
)

// maxStderrBytes is how much of 7z's stderr is kept for error messages.
const maxStderrBytes = 2 << 10

// binaries are the names of the 7-Zip command line tool: p7zip's and 7-Zip's
// own Linux build.
var binaries = []string{"7z", "7zz"}

// Member is a file inside a 7z archive, as its header describes it.
type Member struct {
	Archive string // the archive's path
	Name    string // the member's name inside the archive
	Size    int64  // uncompressed size; -1 when unknown
	CRC32   uint32 // 0 when unknown
}

// List reads the archive's header and returns its files (not its folders)
// in archive order. The header is read with the pure Go reader whatever the
// extractor: it is small and at the end of the archive, so a truncated
// archive fails here.
func List(archive string) ([]Member, error) {
	r, err := bodgit.OpenReader(archive)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable 7z archive (truncated or corrupt?): %w", archive, err)
	}
	defer r.Close()
	var members []Member
	for _, f := range r.File {
		if f.FileInfo().IsDir() {
			continue
		}
		members = append(members, Member{Archive: archive, Name: f.Name, Size: int64(f.UncompressedSize), CRC32: f.CRC32})
	}
	return members, nil
}

// Extractor opens the decompressed stream of an archive member. The stream
// reports a failure or a short output at its end, wrapping
// io.ErrUnexpectedEOF when the size is wrong.
type Extractor func(Member) (io.ReadCloser, error)

// Default streams members through the system 7z (or 7zz) binary when there
// is one on PATH, else in process.
func Default() Extractor {
	for _, name := range binaries {
		if bin, err := exec.LookPath(name); err == nil {
			return Binary(bin)
		}
	}
	return InProcess
}

// Binary runs `BIN x -so ARCHIVE MEMBER`. Closing the stream before its end
// stops the command.
func Binary(bin string) Extractor {
	return func(m Member) (io.ReadCloser, error) {
		stderr := newTailBuffer(maxStderrBytes)
		cmd := exec.Command(bin, "x", "-so", "-bd", "-y", "-spd", "--", m.Archive, m.Name)
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err == nil {
			widenPipe(out)
			err = cmd.Start()
		}
		if err != nil {
			return nil, fmt.Errorf("extracting %s from %s: %w", m.Name, m.Archive, err)
		}
		return &commandStream{m: m, cmd: cmd, out: out, stderr: stderr}, nil
	}
}

type commandStream struct {
	m      Member
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
		c.err = fmt.Errorf("extracting %s from %s: %w", c.m.Name, c.m.Archive, err)
	}
	return n, c.err
}

// finish waits for 7z and checks its exit status and the output size.
func (c *commandStream) finish() error {
	c.waited = true
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("7z failed extracting %s from %s: %w: %s",
			c.m.Name, c.m.Archive, err, strings.TrimSpace(c.stderr.String()))
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

// InProcess decompresses with github.com/bodgit/sevenzip and checks the
// member's size and CRC-32 at its end.
func InProcess(m Member) (io.ReadCloser, error) {
	r, err := bodgit.OpenReader(m.Archive)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable 7z archive: %w", m.Archive, err)
	}
	for _, f := range r.File {
		if f.Name != m.Name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("extracting %s from %s: %w", m.Name, m.Archive, err)
		}
		return &checkedStream{m: m, archive: r, rc: rc, crc: crc32.NewIEEE()}, nil
	}
	r.Close()
	return nil, fmt.Errorf("archive %s has no member %s", m.Archive, m.Name)
}

type checkedStream struct {
	m       Member
	archive *bodgit.ReadCloser
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
		c.err = fmt.Errorf("extracting %s from %s (truncated or corrupt?): %w", c.m.Name, c.m.Archive, err)
	}
	return n, c.err
}

func (c *checkedStream) finish() error {
	if err := checkSize(c.m, c.got); err != nil {
		return err
	}
	if c.m.CRC32 != 0 && c.crc.Sum32() != c.m.CRC32 {
		return fmt.Errorf("extracting %s from %s: CRC-32 mismatch: the archive is corrupt", c.m.Name, c.m.Archive)
	}
	return io.EOF
}

func (c *checkedStream) Close() error {
	return errors.Join(c.rc.Close(), c.archive.Close())
}

// checkSize checks got against the size in the archive header.
func checkSize(m Member, got int64) error {
	if m.Size >= 0 && got != m.Size {
		return fmt.Errorf("extracting %s from %s: got %d bytes, the archive header says %d: %w",
			m.Name, m.Archive, got, m.Size, io.ErrUnexpectedEOF)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it: a child process's stderr, for the error
// message when it fails.
type tailBuffer struct {
	max int
	buf []byte
}

// newTailBuffer keeps the last max bytes.
func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

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
