package schemas

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestBufferPoolHandsOutZeroedBuffers(t *testing.T) {
	p := &bufferPool{small: memory.NewGoAllocator()}
	tests := []struct {
		name        string
		first, next int
	}{
		{"same size", 8 << 10, 8 << 10},
		{"smaller in the same class", 8 << 10, 5000},
		{"large", 3 << 20, 2 << 20},
		{"below the pooled sizes", 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.Allocate(tt.first)
			if len(b) != tt.first {
				t.Fatalf("len %d, want %d", len(b), tt.first)
			}
			for i := range b {
				b[i] = 0xff
			}
			p.Free(b)
			c := p.Allocate(tt.next)
			if len(c) != tt.next || bytes.IndexFunc(c, func(r rune) bool { return r != 0 }) >= 0 {
				t.Fatalf("reused buffer of len %d is not zeroed", len(c))
			}
		})
	}
}

func TestBufferPoolReallocate(t *testing.T) {
	p := &bufferPool{small: memory.NewGoAllocator()}
	b := p.Allocate(5000)
	for i := range b {
		b[i] = byte(i)
	}
	grown := p.Reallocate(8000, b) // within the 8 KiB class
	if len(grown) != 8000 || grown[4999] != byte(4999%256) || grown[5000] != 0 || grown[7999] != 0 {
		t.Fatal("growing within the capacity must keep the bytes and zero the rest")
	}
	moved := p.Reallocate(100<<10, grown)
	if len(moved) != 100<<10 || moved[4999] != byte(4999%256) || moved[8000] != 0 {
		t.Fatal("growing past the capacity must copy the bytes and zero the rest")
	}
	p.Free(make([]byte, 10, 12345)) // not one of the pool's: ignored
	if c := p.Allocate(12000); len(c) != 12000 || cap(c) != 16<<10 {
		t.Fatalf("allocation of 12000 gave len %d cap %d, want a 16 KiB class buffer", len(c), cap(c))
	}
}

// TestEncodeWithThePoolIsDeterministic: batches encoded with recycled buffers, from several
// goroutines at once, are byte for byte those of Go's own allocator.
func TestEncodeWithThePoolIsDeterministic(t *testing.T) {
	batches := make([][]Document, 8)
	for i := range batches {
		for j := range 50 + 40*i {
			batches[i] = append(batches[i], Document{Source: "stackexchange", ID: fmt.Sprint(i, "-", j), ThreadID: fmt.Sprint(j % 7),
				Text: strings.Repeat(fmt.Sprintf("text %d %d ", i, j), 1+j%90), Score: int64(j), Upvotes: -1})
		}
	}
	plain := DocumentCodec.WithAllocator(memory.NewGoAllocator())
	want := make([][]byte, len(batches))
	for i, docs := range batches {
		var err error
		if want[i], err = plain.Encode(docs); err != nil {
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
					got, err := DocumentCodec.Encode(batches[k])
					if err == nil && !bytes.Equal(got, want[k]) {
						err = fmt.Errorf("batch %d differs from Go's allocator's encoding", k)
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
