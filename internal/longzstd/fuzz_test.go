package longzstd

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// klauspostDecodeAll is the fuzzing oracle: DecodeAll does not allocate the
// frame's window up front, which the streaming decoder does.
func klauspostDecodeAll(data []byte) ([]byte, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.DecodeAll(data, nil)
}

func fuzzSeeds(f testing.TB) [][]byte {
	var seeds [][]byte
	texts := [][]byte{nil, []byte("a"), []byte("hello, hello, hello world"), ndjson(3000, 1), ndjson(40000, 2), randomBytes(2000, 3), runs(5000)}
	for i, text := range texts {
		for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBestCompression} {
			seeds = append(seeds, encode(f, text, zstd.WithEncoderLevel(level), zstd.WithEncoderCRC(i%2 == 0),
				zstd.WithWindowSize(1<<10<<(i%4)), zstd.WithSingleSegment(i%3 == 0)))
		}
	}
	seeds = append(seeds, append(skippableFrame([]byte("skip")), seeds[3]...))
	seeds = append(seeds, append(bytes.Clone(seeds[4]), seeds[5]...))
	if _, err := exec.LookPath("zstd"); err == nil {
		seeds = append(seeds, zstdCLI(f, ndjson(20000, 4), "--long=31", "-3"))
		seeds = append(seeds, zstdCLI(f, textWithFarRepeats(1<<20, 5, 3)[:50000], "-19"))
	}
	return seeds
}

func FuzzDecode(f *testing.F) {
	for i, seed := range fuzzSeeds(f) {
		f.Add(seed, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, tinyHistory bool) {
		o := Options{TempDir: t.TempDir()}
		if tinyHistory {
			o.MemoryHistory = 1 << 10
		}
		got, err := decode(data, o, 0)
		want, werr := klauspostDecodeAll(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("longzstd error %v, klauspost error %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("outputs differ: longzstd %d bytes, klauspost %d bytes", len(got), len(want))
		}
	})
}
