package wikipedia

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prefstream/prefstream/internal/sevenzip"
)

// LbzipEnv names the environment variable that can send .bz2 exports through the lbzip2
// command instead: "lbzip2" or a path to it. Unset or "off", they are decoded in process, which
// is faster: our block decoder does about 1.9 times per core what lbzip2's does (137 vs 73 MB/s
// on the test machine), and it too runs on every core.
const LbzipEnv = "PREFSTREAM_LBZIP2"

// lbzip2Binary is the lbzip2 command LbzipEnv names, or "" to decode in process. Tests set it.
var lbzip2Binary = lookLbzip2(os.Getenv(LbzipEnv))

// lookLbzip2 finds the lbzip2 command name names; "" for none, "off", or a name not found.
func lookLbzip2(name string) string {
	if name == "" || name == "off" {
		return ""
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return bin
}

// UsesLbzip2 says whether .bz2 exports are decoded by lbzip2 here.
func UsesLbzip2() bool { return lbzip2Binary != "" }

// Bzip2Decoder says what decodes .bz2 exports here: "in process" or "lbzip2 (PATH)".
func Bzip2Decoder() string {
	if UsesLbzip2() {
		return "lbzip2 (" + lbzip2Binary + ")"
	}
	return "in process (our block decoder on every core)"
}

// openLbzip2 streams path through `lbzip2 -dc`. When lbzip2 fails (a truncated or corrupt
// file) it may stop before blocks that are whole, so the in-process decoder takes over where
// its output ended: the stream goes on to the last whole block and ends with the error
// newBzip2Reader gives, at the compressed offset where the file breaks. Either way the output
// is the in-process decoder's.
func openLbzip2(bin, path string) (io.ReadCloser, error) {
	cmd := exec.Command(bin, "-d", "-c", "-n", strconv.Itoa(runtime.GOMAXPROCS(0)), "--", path)
	// Its own process group: a Ctrl-C meant for prefstream must not reach lbzip2 first and
	// look like a decoding failure. prefstream stops it itself (Close).
	ownProcessGroup(cmd)
	stderr := sevenzip.NewTailBuffer(2 << 10)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return nil, fmt.Errorf("wikipedia: %s: starting lbzip2: %w", path, err)
	}
	return &lbzip2Stream{path: path, cmd: cmd, out: out, stderr: stderr}, nil
}

type lbzip2Stream struct {
	path      string
	cmd       *exec.Cmd
	out       io.ReadCloser
	stderr    *sevenzip.TailBuffer
	got       int64         // bytes lbzip2 delivered
	fallback  io.ReadCloser // the in-process decoder, after lbzip2 failed
	err       error         // sticky; io.EOF once lbzip2 exited cleanly
	waitOnce  sync.Once
	waitError error
	exited    atomic.Bool
}

func (s *lbzip2Stream) Read(p []byte) (int, error) {
	if s.fallback != nil {
		return s.fallback.Read(p)
	}
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.out.Read(p)
	s.got += int64(n)
	switch {
	case err == io.EOF:
		s.err = s.finish()
	case err != nil:
		s.err = &ReadError{File: s.path, Offset: -1, Err: fmt.Errorf("reading lbzip2's output: %w", err)}
	}
	if s.fallback != nil && n == 0 {
		return s.fallback.Read(p)
	}
	return n, s.err
}

func (s *lbzip2Stream) wait() error {
	s.waitOnce.Do(func() { s.waitError = s.cmd.Wait(); s.exited.Store(true) })
	return s.waitError
}

// finish waits for lbzip2. When it failed, the in-process decoder skips what lbzip2 delivered
// and becomes the stream; finish returns nil then.
func (s *lbzip2Stream) finish() error {
	err := s.wait()
	if err == nil {
		return io.EOF
	}
	failed := fmt.Errorf("lbzip2: %w: %s", err, strings.TrimSpace(s.stderr.String()))
	if killedBySignal(s.cmd) { // stopped from outside, not a bad file: nothing to diagnose
		return &ReadError{File: s.path, Offset: -1, Err: failed}
	}
	f, openErr := os.Open(s.path)
	if openErr != nil {
		return &ReadError{File: s.path, Offset: -1, Err: errors.Join(failed, openErr)}
	}
	d := newBzip2Reader(f, s.path, 0)
	fallback := readCloser{d, d} // closing the decoder closes f
	if _, err := io.CopyN(io.Discard, d, s.got); err != nil {
		fallback.Close()
		if errors.Is(err, io.EOF) { // the in-process decoder found less than lbzip2 gave
			return &ReadError{File: s.path, Offset: -1, Err: failed}
		}
		return err
	}
	s.fallback = fallback
	return nil
}

// Close stops lbzip2 if it is still running (the stream was not read to its end).
func (s *lbzip2Stream) Close() error {
	if !s.exited.Load() {
		_ = s.cmd.Process.Kill() // our own child, stopped early on purpose
	}
	_ = s.out.Close()
	_ = s.wait()
	if s.fallback != nil {
		return s.fallback.Close()
	}
	return nil
}
