package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/prefstream/prefstream/internal/leakcheck"
)

// bz2Data is a generated export of several MB, compressed at levels 9
// and 1 (100 kB blocks: many of them).
var bz2Data = sync.OnceValue(func() []byte {
	return genExport(genOptions{seed: 10, size: 6 << 20, schema: "0.11", quirks: true})
})

func decodeParallel(t testing.TB, compressed []byte, workers int, cuts ...int64) ([]byte, error) {
	t.Helper()
	d := prepareBzip2Reader(bytes.NewReader(compressed), "test.bz2", workers)
	d.extraCuts = cuts
	d.start()
	defer d.Close()
	return io.ReadAll(d)
}

func decodeStdlib(t testing.TB, compressed []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatalf("compress/bzip2: %v", err)
	}
	return out
}

func TestBzip2ParallelMatchesStdlib(t *testing.T) {
	data := bz2Data()
	for _, level := range []int{9, 1} {
		compressed := compressBzip2(t, data, level)
		want := decodeStdlib(t, compressed)
		if !bytes.Equal(want, data) {
			t.Fatal("compress/bzip2 does not round-trip the bzip2 command")
		}
		for _, workers := range []int{1, 2, 3} {
			got, err := decodeParallel(t, compressed, workers)
			if err != nil {
				t.Fatalf("level %d, %d workers: %v", level, workers, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("level %d, %d workers: %d bytes differ from compress/bzip2's %d", level, workers, len(got), len(want))
			}
		}
	}
}

func TestBzip2Multistream(t *testing.T) {
	data := bz2Data()
	a, b, c := data[:1<<20], data[1<<20:3<<20], data[3<<20:]
	var compressed []byte
	compressed = append(compressed, compressBzip2(t, a, 1)...)
	compressed = append(compressed, compressBzip2(t, nil, 9)...) // an empty stream
	compressed = append(compressed, compressBzip2(t, b, 9)...)
	compressed = append(compressed, compressBzip2(t, c, 3)...)
	if !bytes.Equal(decodeStdlib(t, compressed), data) {
		t.Fatal("compress/bzip2 does not read the multistream file")
	}
	got, err := decodeParallel(t, compressed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want %d", len(got), len(data))
	}
}

// blockStarts finds the real block magics of a compressed file.
func blockStarts(compressed []byte) []int64 {
	var starts []int64
	for from := int64(0); ; {
		at, eos, found := findMagic(compressed, from, true)
		if !found {
			return starts
		}
		if !eos {
			starts = append(starts, at)
		}
		from = at + 1
	}
}

func TestBzip2FalseMagicInsideBlocks(t *testing.T) {
	data := bz2Data()
	compressed := compressBzip2(t, data, 1)
	starts := blockStarts(compressed)
	if len(starts) < 10 {
		t.Fatalf("only %d blocks", len(starts))
	}
	var cuts []int64
	for i := 0; i+1 < len(starts); i += 3 {
		mid := (starts[i] + starts[i+1]) / 2
		cuts = append(cuts, mid, mid+777, starts[i+1]-20) // two false magics in one block, one overlapping the next magic
	}
	cuts = append(cuts, int64(len(compressed))*8-200) // inside the last block
	got, err := decodeParallel(t, compressed, 2, cuts...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want %d", len(got), len(data))
	}
}

func TestBzip2Truncated(t *testing.T) {
	data := bz2Data()
	compressed := compressBzip2(t, data, 1)
	starts := blockStarts(compressed)
	for _, n := range []int{2, 4, 7, 100, int(starts[5] / 8), int(starts[5]/8) + 1, len(compressed) / 2, len(compressed) - 5, len(compressed) - 1} {
		got, err := decodeParallel(t, compressed[:n], 2)
		var re *ReadError
		if !errors.As(err, &re) {
			t.Fatalf("cut at %d: error %v is not a *ReadError", n, err)
		}
		if re.File != "test.bz2" || re.Offset < 0 || re.Offset > int64(n) {
			t.Errorf("cut at %d: error names %q at offset %d", n, re.File, re.Offset)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v, want an unexpected EOF", n, err)
		}
		if !bytes.HasPrefix(data, got) {
			t.Errorf("cut at %d: the output before the error is not a prefix of the data", n)
		}
	}
}

func TestBzip2Corrupt(t *testing.T) {
	data := bz2Data()
	compressed := compressBzip2(t, data, 1)
	starts := blockStarts(compressed)
	at := int((starts[7]+starts[8])/16) + 10 // a byte inside block 7
	bad := bytes.Clone(compressed)
	bad[at] ^= 0x55
	got, err := decodeParallel(t, bad, 2)
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *ReadError", err)
	}
	if re.Offset != starts[7]/8 {
		t.Errorf("error at offset %d, want the corrupt block's start %d: %v", re.Offset, starts[7]/8, err)
	}
	if !bytes.HasPrefix(data, got) || len(got) == 0 {
		t.Errorf("the output before the error (%d bytes) is not a prefix of the data", len(got))
	}

	crc := bytes.Clone(compressed)
	crc[len(crc)-2] ^= 1 // in the stream CRC
	if _, err := decodeParallel(t, crc, 2); !errors.Is(err, errBzip2StreamCRC) {
		t.Errorf("corrupt stream CRC: %v", err)
	}
}

func TestBzip2Odd(t *testing.T) {
	valid := compressBzip2(t, []byte("hello"), 9)
	tests := []struct {
		name  string
		input []byte
	}{
		{"not bzip2", []byte("<mediawiki>")},
		{"empty", nil},
		{"bad level", append([]byte("BZh0"), valid[4:]...)},
		{"trailing garbage", append(bytes.Clone(valid), "garbage"...)},
		{"second stream with a bad level", append(bytes.Clone(valid), append([]byte("BZh0"), valid[4:]...)...)},
		{"empty stream with a bad CRC", []byte("BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stdErr := io.ReadAll(bzip2.NewReader(bytes.NewReader(tt.input)))
			_, err := decodeParallel(t, tt.input, 2)
			var re *ReadError
			if stdErr == nil || !errors.As(err, &re) {
				t.Fatalf("got %v (compress/bzip2: %v), want a *ReadError", err, stdErr)
			}
		})
	}
}

func TestBzip2CloseStopsGoroutines(t *testing.T) {
	compressed := compressBzip2(t, bz2Data(), 1)
	goroutinesEnded := leakcheck.Goroutines(t)
	for range 5 {
		d := newBzip2Reader(bytes.NewReader(compressed), "test.bz2", 2)
		if _, err := io.ReadFull(d, make([]byte, 300<<10)); err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
	goroutinesEnded()
}

func TestOpenBzip2AndPlain(t *testing.T) {
	data := genExport(genOptions{seed: 11, size: 1 << 20, schema: "0.10", quirks: true})
	dir := t.TempDir()
	plain := filepath.Join(dir, "gen.xml")
	packed := filepath.Join(dir, "gen.xml.bz2")
	multi := filepath.Join(dir, "multi.xml.bz2")
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(packed, compressBzip2(t, data, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two streams one after the other, as multistream dumps are.
	half := bytes.LastIndex(data[:len(data)/2], []byte("<page>"))
	if err := os.WriteFile(multi, append(compressBzip2(t, data[:half], 1), compressBzip2(t, data[half:], 1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	want := readAll(t, NewReader(bytes.NewReader(data), "gen.xml"))
	t.Run("open", func(t *testing.T) {
		for _, path := range []string{plain, packed, multi} {
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			compareDecoded(t, readAll(t, r), want)
			if err := r.Close(); err != nil {
				t.Errorf("Close %s: %v", path, err)
			}
		}
		if _, err := Open(filepath.Join(dir, "missing.xml")); err == nil {
			t.Error("Open of a missing file succeeded")
		}
	})
}

// A truncated or corrupt .bz2 gives its pages up to the break, then a *ReadError at the
// compressed offset where it breaks.
func TestOpenBadBzip2(t *testing.T) {
	data := genExport(genOptions{seed: 12, size: 1 << 20, schema: "0.11"})
	compressed := compressBzip2(t, data, 1)
	dir := t.TempDir()
	truncated := filepath.Join(dir, "cut.xml.bz2")
	if err := os.WriteFile(truncated, compressed[:len(compressed)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.xml.bz2")
	bad := bytes.Clone(compressed)
	for i := len(bad) / 2; i < len(bad)/2+64; i++ {
		bad[i] ^= 0x5a
	}
	if err := os.WriteFile(corrupt, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{truncated, corrupt} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := r.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			n := 0
			for {
				if _, err = r.NextPage(); err != nil {
					break
				}
				n++
				if err = drainRevisions(r); err != nil {
					break
				}
			}
			var re *ReadError
			if !errors.As(err, &re) || re.File != path || re.Offset <= 0 || re.Offset > int64(len(compressed)) {
				t.Fatalf("got %v, want a *ReadError naming %s at a compressed offset", err, path)
			}
			if n == 0 {
				t.Fatalf("no page before the break (%v)", err)
			}
		})
	}
}

// drainRevisions reads the rest of the current page's revisions.
func drainRevisions(r *Reader) error {
	for {
		if _, err := r.NextRevision(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
