package schemas

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestBufferPoolSizes(t *testing.T) {
	p := &bufferPool{small: memory.NewGoAllocator()}
	tests := []struct {
		name      string
		size, cap int
	}{
		{"a class size", 8 << 10, 8 << 10},
		{"between classes", 5000, 8 << 10},
		{"large", 3 << 20, 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 { // fresh, then (usually) recycled
				b := p.Allocate(tt.size)
				if len(b) != tt.size || cap(b) != tt.cap {
					t.Fatalf("len %d cap %d, want %d %d", len(b), cap(b), tt.size, tt.cap)
				}
				b[0], b[len(b)-1] = 0xff, 0xff
				p.Free(b)
			}
		})
	}
	if b := p.Allocate(100); len(b) != 100 {
		t.Fatalf("a small allocation has len %d", len(b))
	}
}

func TestBufferPoolReallocate(t *testing.T) {
	p := &bufferPool{small: memory.NewGoAllocator()}
	b := p.Allocate(5000)
	for i := range b {
		b[i] = byte(i)
	}
	grown := p.Reallocate(8000, b) // within the 8 KiB class
	if len(grown) != 8000 || &grown[0] != &b[0] || grown[4999] != byte(4999%256) {
		t.Fatal("growing within the capacity must keep the buffer and its bytes")
	}
	moved := p.Reallocate(100<<10, grown)
	if len(moved) != 100<<10 || moved[4999] != byte(4999%256) || moved[1234] != byte(1234%256) {
		t.Fatal("growing past the capacity must copy the bytes")
	}
	p.Free(make([]byte, 10, 12345)) // not one of the pool's: ignored
	if c := p.Allocate(12000); len(c) != 12000 || cap(c) != 16<<10 {
		t.Fatalf("allocation of 12000 gave len %d cap %d, want a 16 KiB class buffer", len(c), cap(c))
	}
}

// TestEncodeWithThePoolIsDeterministic: batches encoded with recycled (not re-zeroed) buffers,
// from several goroutines at once, are byte for byte those of Go's own allocator, which zeroes.
func TestEncodeWithThePoolIsDeterministic(t *testing.T) {
	var docs [][]Document
	var pairs [][]Pair
	for i := range 8 {
		var d []Document
		var p []Pair
		for j := range 50 + 40*i {
			text := strings.Repeat(fmt.Sprintf("text %d %d ", i, j), 1+j%90)
			d = append(d, Document{Source: "stackexchange", ID: fmt.Sprint(i, "-", j), ThreadID: fmt.Sprint(j % 7),
				Text: text, Score: int64(j), Upvotes: -1})
			p = append(p, Pair{PairID: fmt.Sprint(i, j), Prompt: fmt.Sprint("prompt ", j/5), Chosen: text, Rejected: fmt.Sprint("r", j%3),
				ChosenScore: float64(j), Split: SplitTrain})
		}
		docs, pairs = append(docs, d), append(pairs, p)
	}
	checkPoolEncoding(t, DocumentCodec, docs)
	checkPoolEncoding(t, PairCodec, pairs)
}

func checkPoolEncoding[T any](t *testing.T, codec *Codec[T], batches [][]T) {
	t.Helper()
	plain := codec.WithAllocator(memory.NewGoAllocator())
	want := make([][]byte, len(batches))
	for i, rows := range batches {
		var err error
		if want[i], err = plain.Encode(rows); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				for i := range batches {
					k := (i + g + round) % len(batches)
					got, err := codec.Encode(batches[k])
					if err == nil && !bytes.Equal(got, want[k]) {
						err = fmt.Errorf("%s batch %d differs from Go's allocator's encoding", codec.Version, k)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
