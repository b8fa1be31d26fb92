package longzstd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// zstdCLI compresses data with the zstd command, skipping the test if it is
// not installed.
func zstdCLI(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("zstd")
	if err != nil {
		t.Skip("zstd command not installed")
	}
	cmd := exec.Command(path, append([]string{"-q", "-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd %v: %v: %s", args, err, stderr.String())
	}
	return out
}

// decodeWithFile decodes data with a tiny in-memory history and checks that
// the history file was used and is gone after Close.
func decodeWithFile(t *testing.T, data []byte, memory int) []byte {
	t.Helper()
	dir := t.TempDir()
	d, err := NewReader(bytes.NewReader(data), Options{MemoryHistory: memory, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.WriteTo(&out); err != nil {
		d.Close()
		t.Fatal(err)
	}
	if d.history.filesMade == 0 || d.history.fileWrites == 0 {
		t.Errorf("history file not used (files %d, bytes written %d)", d.history.filesMade, d.history.fileWrites)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TempDir: %s", filepath.Join(dir, e.Name()))
	}
	return out.Bytes()
}

func TestZstdCommandLongWindow(t *testing.T) {
	size := 6 << 20
	if testing.Short() {
		size = 3 << 20
	}
	data := textWithFarRepeats(size, 11, 3)
	for _, args := range [][]string{
		{"--long=27", "-3"},
		{"--long=31", "-T2", "-3"},
		{"--long=31", "-19", "--no-check"},
	} {
		t.Run(args[0]+args[1], func(t *testing.T) {
			if testing.Short() && args[1] == "-19" {
				t.Skip("slow to compress")
			}
			frame := zstdCLI(t, data, args...)
			got := decodeWithFile(t, frame, 64<<10)
			checkSame(t, got, data)
		})
	}
}

func realSamplePath(t testing.TB) string {
	path := filepath.Join("..", "..", "..", "shared", "fixtures", "real", "reddit", "RC_2005-12.zst")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real Reddit sample not available at %s: %v", path, err)
	}
	return path
}

func TestRealRedditSample(t *testing.T) {
	path := realSamplePath(t)
	frame, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseFrameHeader(append(frame[:min(len(frame), 18):min(len(frame), 18)], make([]byte, 18)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d compressed bytes, window %d bytes, content size %d", filepath.Base(path), len(frame), h.window, h.contentSize)
	want, err := klauspostDecodeAll(frame)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeWithFile(t, frame, 256<<10)
	checkSame(t, got, want)
}
