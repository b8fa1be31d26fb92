package longzstd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
)

// decode decompresses data with longzstd, reading through buffers of
// readSize bytes (or with io.ReadAll's when readSize is 0).
func decode(data []byte, o Options, readSize int) ([]byte, error) {
	d, err := NewReader(bytes.NewReader(data), o)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if readSize == 0 {
		return io.ReadAll(d)
	}
	var out []byte
	buf := make([]byte, readSize)
	for {
		n, err := d.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// klauspostDecode is the oracle.
func klauspostDecode(data []byte) ([]byte, error) {
	d, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return io.ReadAll(d)
}

func encode(t testing.TB, data []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(data, nil)
}

func skippableFrame(payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184D2A53)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

func checkSame(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("output differs at byte %d (got %d bytes, want %d)", i, len(got), len(want))
}

func TestDecodeMatchesKlauspost(t *testing.T) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"1byte", []byte{'x'}},
		{"text-100KiB", ndjson(100<<10, 1)},
		{"text-3MiB", ndjson(3<<20, 2)},
		{"random-300KiB", randomBytes(300<<10, 3)},
		{"runs-1MiB", runs(1 << 20)},
	}
	levels := []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression}
	windows := []int{1 << 15, 8 << 20}
	for _, in := range inputs {
		for _, level := range levels {
			for _, window := range windows {
				for _, crc := range []bool{false, true} {
					if testing.Short() && level == zstd.SpeedBestCompression && len(in.data) > 1<<20 {
						continue
					}
					name := fmt.Sprintf("%s/%s/window=%s/crc=%v", in.name, level, sizeName(window), crc)
					t.Run(name, func(t *testing.T) {
						frame := encode(t, in.data, zstd.WithEncoderLevel(level), zstd.WithWindowSize(window),
							zstd.WithEncoderCRC(crc), zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(false))
						want, err := klauspostDecode(frame)
						if err != nil {
							t.Fatal(err)
						}
						got, err := decode(frame, Options{}, 0)
						if err != nil {
							t.Fatal(err)
						}
						checkSame(t, got, want)
						checkSame(t, got, in.data)
						// Tiny history: the file serves the far matches.
						got, err = decode(frame, Options{MemoryHistory: 4 << 10, TempDir: t.TempDir()}, 0)
						if err != nil {
							t.Fatal(err)
						}
						checkSame(t, got, in.data)
					})
				}
			}
		}
	}
}

func TestSingleSegmentFrames(t *testing.T) {
	for _, n := range []int{0, 1, 100, 5000, 300 << 10} {
		data := ndjson(n, 9)
		frame := encode(t, data, zstd.WithSingleSegment(true), zstd.WithEncoderCRC(true))
		got, err := decode(frame, Options{MemoryHistory: 1 << 10, TempDir: t.TempDir()}, 0)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		checkSame(t, got, data)
	}
}

func TestConcatenatedAndSkippableFrames(t *testing.T) {
	parts := [][]byte{ndjson(200<<10, 4), nil, randomBytes(70<<10, 5), runs(300 << 10), []byte("tail")}
	var stream, want []byte
	for i, p := range parts {
		if i%2 == 1 {
			stream = append(stream, skippableFrame([]byte("metadata that is skipped"))...)
		}
		stream = append(stream, encode(t, p, zstd.WithEncoderCRC(i%2 == 0), zstd.WithWindowSize(1<<17))...)
		want = append(want, p...)
	}
	stream = append(stream, skippableFrame(nil)...)
	for _, readSize := range []int{0, 1, 7, 4093, 1 << 17} {
		got, err := decode(stream, Options{MemoryHistory: 32 << 10}, readSize)
		if err != nil {
			t.Fatalf("read size %d: %v", readSize, err)
		}
		checkSame(t, got, want)
	}
}

func TestWriteTo(t *testing.T) {
	data := ndjson(1<<20, 6)
	frame := encode(t, data, zstd.WithEncoderCRC(true))
	d, err := NewReader(bytes.NewReader(frame), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out bytes.Buffer
	n, err := d.WriteTo(&out)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	checkSame(t, out.Bytes(), data)
}

func TestErrors(t *testing.T) {
	data := ndjson(300<<10, 7)
	frame := encode(t, data, zstd.WithEncoderCRC(true), zstd.WithWindowSize(1<<20))

	t.Run("checksum", func(t *testing.T) {
		bad := bytes.Clone(frame)
		bad[len(bad)-1] ^= 1
		_, err := decode(bad, Options{}, 0)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("checksum")) {
			t.Fatalf("err = %v, want a checksum mismatch", err)
		}
	})
	t.Run("window", func(t *testing.T) {
		var big bytes.Buffer
		e, _ := zstd.NewWriter(&big, zstd.WithWindowSize(1<<20))
		e.Write(data)
		e.Close()
		_, err := decode(big.Bytes(), Options{MaxWindow: 1 << 19}, 0)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("window of 1048576 bytes exceeds MaxWindow")) {
			t.Fatalf("err = %v, want an error naming the window", err)
		}
	})
	t.Run("dictionary", func(t *testing.T) {
		// Magic, descriptor with a 1-byte dictionary id, window, id 7.
		bad := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x50, 0x07, 0x01, 0x00, 0x00}
		_, err := decode(bad, Options{}, 0)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("dictionaries are not supported")) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reserved block type", func(t *testing.T) {
		bad := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x07, 0x00, 0x00}
		_, err := decode(bad, Options{}, 0)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("reserved block type")) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for cut := 1; cut < len(frame); cut += 997 {
			_, err := decode(frame[:cut], Options{MemoryHistory: 8 << 10, TempDir: t.TempDir()}, 0)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut at %d: error %v does not wrap io.ErrUnexpectedEOF", cut, err)
			}
		}
	})
	t.Run("flipped", func(t *testing.T) {
		for i := 4; i < len(frame); i += 101 {
			bad := bytes.Clone(frame)
			bad[i] ^= byte(1 << (i % 8))
			for _, memory := range []int{0, 8 << 10} {
				// Flips in bits the decoder ignores (window size, padding)
				// may decode to the original; anything else is an error.
				got, err := decode(bad, Options{MemoryHistory: memory, TempDir: t.TempDir()}, 0)
				if err == nil && !bytes.Equal(got, data) {
					t.Fatalf("flip at %d: wrong output and no error", i)
				}
			}
		}
	})
	t.Run("offset in message", func(t *testing.T) {
		headerSize := frameHeaderSize(frame[4])
		bad := bytes.Clone(frame)
		bad[headerSize] |= 3 << 1 // the first block's type becomes reserved
		_, err := decode(bad, Options{}, 0)
		want := fmt.Sprintf("longzstd: block at compressed offset %d: reserved block type", headerSize)
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
}

func TestFramesWithShrinkingWindows(t *testing.T) {
	var stream, want []byte
	for i, window := range []int{4 << 20, 512 << 10, 1 << 20, 64 << 10, 2 << 20} {
		data := textWithFarRepeats(3<<20, uint64(i), 3)
		stream = append(stream, encode(t, data, zstd.WithWindowSize(window), zstd.WithSingleSegment(false))...)
		want = append(want, data...)
	}
	for _, memory := range []int{0, 1536 << 10, 100 << 10} {
		got, err := decode(stream, Options{MemoryHistory: memory, TempDir: t.TempDir()}, 0)
		if err != nil {
			t.Fatalf("MemoryHistory %d: %v", memory, err)
		}
		checkSame(t, got, want)
	}
}

// TestNoAllocationsPerBlock checks that decoding allocates a bounded amount
// whatever the number of blocks: buffers and tables are reused.
func TestNoAllocationsPerBlock(t *testing.T) {
	data := ndjson(24<<20, 8)
	frame := encode(t, data, zstd.WithEncoderCRC(true), zstd.WithWindowSize(8<<20), zstd.WithSingleSegment(false))
	blocks := len(data) / maxBlockSize
	for _, memory := range []int{0, 1 << 20} {
		d, err := NewReader(bytes.NewReader(frame), Options{MemoryHistory: memory, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1<<16)
		// Warm up: the ring fills, the file is created.
		if _, err := io.ReadFull(d, make([]byte, 12<<20)); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for {
			if _, err := d.Read(buf); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
		}
		runtime.ReadMemStats(&after)
		allocs := after.Mallocs - before.Mallocs
		t.Logf("MemoryHistory %d: %d allocations for the last %d blocks (file bytes written: %d)", memory, allocs, blocks/2, d.history.fileWrites)
		d.Close()
		if allocs > 10 {
			t.Errorf("MemoryHistory %d: %v allocations for the last %d blocks", memory, allocs, blocks/2)
		}
	}
}

func TestSlowAndFailingSources(t *testing.T) {
	data := ndjson(400<<10, 12)
	frame := encode(t, data, zstd.WithEncoderCRC(true))
	for name, src := range map[string]io.Reader{
		"one byte at a time": iotest.OneByteReader(bytes.NewReader(frame)),
		"half reads":         iotest.HalfReader(bytes.NewReader(frame)),
		"EOF with data":      iotest.DataErrReader(bytes.NewReader(frame)),
	} {
		d, err := NewReader(src, Options{MemoryHistory: 16 << 10, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		d.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkSame(t, got, data)
	}

	d, err := NewReader(iotest.TimeoutReader(bytes.NewReader(frame)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := io.ReadAll(d); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("err = %v, want the source's error", err)
	}
}
