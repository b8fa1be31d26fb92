package longzstd

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// benchFrame is 64 MiB of NDJSON (compressing about as well as a real
// Reddit comment dump, with a few far repeats) compressed like the dumps
// (`zstd -3 --long=31`, or klauspost's default level with a 2 GiB window
// when the zstd command is missing).
var benchFrame = sync.OnceValues(func() (frame []byte, size int) {
	data := textWithFarRepeats(64<<20, 21, 12)
	if path, err := exec.LookPath("zstd"); err == nil {
		cmd := exec.Command(path, "-q", "-c", "-3", "--long=31")
		cmd.Stdin = bytes.NewReader(data)
		if out, err := cmd.Output(); err == nil {
			return out, len(data)
		}
	}
	e, _ := zstd.NewWriter(nil, zstd.WithWindowSize(1<<31), zstd.WithEncoderConcurrency(1))
	return e.EncodeAll(data, nil), len(data)
})

func BenchmarkDecode(b *testing.B) {
	benchmarkDecode(b, Options{})
}

// BenchmarkDecodeHistoryFile keeps only 8 MiB in memory, so that most of
// the output goes through the history file as well.
func BenchmarkDecodeHistoryFile(b *testing.B) {
	benchmarkDecode(b, Options{MemoryHistory: 8 << 20, TempDir: b.TempDir()})
}

func benchmarkDecode(b *testing.B, o Options) {
	frame, size := benchFrame()
	benchmarkStreams(b, frame, size, func(r io.Reader) (io.WriterTo, func(), error) {
		d, err := NewReader(r, o)
		return d, func() { d.Close() }, err
	})
}

func BenchmarkDecodeKlauspost(b *testing.B) {
	frame, size := benchFrame()
	benchmarkStreams(b, frame, size, func(r io.Reader) (io.WriterTo, func(), error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderConcurrency(1))
		return d, func() { d.Close() }, err
	})
}

// benchmarkStreams decodes frame, of size bytes decompressed, with a new decoder from open
// (which also returns how to close it) each time.
func benchmarkStreams(b *testing.B, frame []byte, size int, open func(io.Reader) (io.WriterTo, func(), error)) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		d, closeDecoder, err := open(bytes.NewReader(frame))
		if err != nil {
			b.Fatal(err)
		}
		n, err := d.WriteTo(io.Discard)
		if err != nil || n != int64(size) {
			b.Fatalf("decoded %d bytes: %v", n, err)
		}
		closeDecoder()
	}
}

// BenchmarkDecodeKlauspostReset reuses one klauspost decoder, leaving out
// the cost of its window allocation for each stream.
func BenchmarkDecodeKlauspostReset(b *testing.B) {
	frame, size := benchFrame()
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderConcurrency(1))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Reset(bytes.NewReader(frame)); err != nil {
			b.Fatal(err)
		}
		n, err := d.WriteTo(io.Discard)
		if err != nil || n != int64(size) {
			b.Fatalf("decoded %d bytes: %v", n, err)
		}
	}
}

// BenchmarkDecodeRealSample decodes the real Reddit sample (small, so
// per-stream costs weigh more than in a monthly dump).
func BenchmarkDecodeRealSample(b *testing.B) {
	frame, err := os.ReadFile(realSamplePath(b))
	if err != nil {
		b.Fatal(err)
	}
	want, err := klauspostDecodeAll(frame)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkStreams(b, frame, len(want), func(r io.Reader) (io.WriterTo, func(), error) {
		d, err := NewReader(r, Options{})
		return d, func() { d.Close() }, err
	})
}
