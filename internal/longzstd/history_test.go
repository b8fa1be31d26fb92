package longzstd

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestHistoryAgainstModel commits random blocks and checks random reads
// against a plain copy of the whole stream, for frames of varying windows
// and ring sizes that reuse one history.
func TestHistoryAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h history
	h.tempDir = t.TempDir()
	defer h.release()
	frames := []struct {
		window, keep int64
		memory       int
	}{
		{4 << 20, 4 << 20, 64 << 20},     // all in memory, several chunks
		{512 << 10, 512 << 10, 64 << 20}, // smaller ring than the chunks kept
		{3 << 20, 3 << 20, 1536 << 10},   // file, ring not a multiple of a chunk
		{1 << 20, 1 << 20, 100 << 10},    // file, ring inside the first chunk
		{1000000, 1000000, 333333},       // nothing a power of two
		{8 << 20, 2500000, 1 << 20},      // content size below the window
	}
	for _, f := range frames {
		h.reset(f.window, f.keep, f.memory)
		var model []byte
		for len(model) < 5<<20 && int64(len(model)) < f.keep*3 {
			block := randomBytes(1+r.IntN(maxBlockSize), r.Uint64())
			if err := h.commit(block); err != nil {
				t.Fatal(err)
			}
			model = append(model, block...)
			reach := min(int64(len(model)), f.window)
			if f.keep < f.window {
				reach = min(reach, f.keep)
			}
			for range 50 {
				back := 1 + r.Int64N(reach)
				n := 1 + r.Int64N(min(back, 300))
				if r.IntN(10) == 0 {
					n = back
				}
				got := make([]byte, n)
				if err := h.copyOut(got, back); err != nil {
					t.Fatal(err)
				}
				want := model[int64(len(model))-back:][:n]
				if !bytes.Equal(got, want) {
					t.Fatalf("frame %+v, %d bytes in: copyOut(%d bytes, back %d) differs", f, len(model), n, back)
				}
			}
		}
	}
}
