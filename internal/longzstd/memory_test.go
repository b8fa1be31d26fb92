package longzstd

import (
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// farRepeatStream yields n bytes of NDJSON made of 256 KiB chunks, each
// generated from a seed. About one chunk in repeatEvery reuses the seed of
// an earlier chunk, so the same text comes back far away without the
// generator keeping any of it.
type farRepeatStream struct {
	remaining   int64
	repeatEvery int
	rng         *rand.Rand
	seeds       []uint64
	chunk       []byte
	unread      []byte
}

const farRepeatChunk = 256 << 10

func newFarRepeatStream(n int64, seed uint64, repeatEvery int) *farRepeatStream {
	return &farRepeatStream{remaining: n, repeatEvery: repeatEvery, rng: rand.New(rand.NewPCG(seed, 3)), chunk: make([]byte, farRepeatChunk)}
}

func (s *farRepeatStream) Read(p []byte) (int, error) {
	if s.remaining == 0 {
		return 0, io.EOF
	}
	if len(s.unread) == 0 {
		seed := s.rng.Uint64()
		if len(s.seeds) > 4 && s.rng.IntN(s.repeatEvery) == 0 {
			seed = s.seeds[s.rng.IntN(len(s.seeds)-2)]
		} else {
			s.seeds = append(s.seeds, seed)
		}
		io.ReadFull(newNDJSONGenerator(seed), s.chunk)
		s.unread = s.chunk
	}
	n := copy(p[:min(int64(len(p)), s.remaining)], s.unread)
	s.unread = s.unread[n:]
	s.remaining -= int64(n)
	return n, nil
}

// compressStream compresses r as the Reddit dumps are (`zstd --long=31`),
// streaming, or with klauspost's encoder when the zstd command is missing.
func compressStream(t *testing.T, r io.Reader) io.ReadCloser {
	if path, err := exec.LookPath("zstd"); err == nil {
		cmd := exec.Command(path, "-q", "-c", "-1", "--long=31")
		cmd.Stdin = r
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Wait() })
		return out
	}
	pr, pw := io.Pipe()
	go func() {
		e, err := zstd.NewWriter(pw, zstd.WithWindowSize(zstd.MaxWindowSize), zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err == nil {
			_, err = io.Copy(e, r)
			if cerr := e.Close(); err == nil {
				err = cerr
			}
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h *xxhash.Digest
}

func (h hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func TestMemoryStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 256 MiB")
	}
	const size = 256 << 20
	const memoryHistory = 8 << 20
	const heapLimit = 32 << 20

	source := hashingReader{newFarRepeatStream(size, 1, 6), xxhash.New()}
	compressed := compressStream(t, source)
	defer compressed.Close()

	runtime.GC()
	start := time.Now()
	d, err := NewReader(compressed, Options{MemoryHistory: memoryHistory, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	decoded := xxhash.New()
	buf := make([]byte, 1<<20)
	var total int64
	var peak uint64
	var stats runtime.MemStats
	for nextCheck := int64(0); ; {
		n, err := d.Read(buf)
		decoded.Write(buf[:n])
		total += int64(n)
		if total >= nextCheck {
			runtime.ReadMemStats(&stats)
			peak = max(peak, stats.HeapInuse)
			nextCheck += 8 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", total, err)
		}
	}
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&stats)
	live := stats.HeapAlloc
	t.Logf("decoded %d MiB in %v; peak heap in use %.1f MiB (GC pacing included), live heap at the end %.1f MiB; history file: %d MiB written",
		total>>20, elapsed.Round(time.Millisecond), float64(peak)/(1<<20), float64(live)/(1<<20), d.history.fileWrites>>20)
	if live > memoryHistory+8<<20 {
		t.Errorf("live heap %d bytes with the decoder open, want under MemoryHistory + 8 MiB", live)
	}
	if total != size || decoded.Sum64() != source.h.Sum64() {
		t.Fatalf("decoded %d bytes with hash %x, want %d bytes with hash %x", total, decoded.Sum64(), size, source.h.Sum64())
	}
	if d.history.fileWrites == 0 {
		t.Error("the history file was not used")
	}
	if peak > heapLimit {
		t.Errorf("peak heap in use %d bytes, want under %d", peak, heapLimit)
	}
}
