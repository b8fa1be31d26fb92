package schemas

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pool sizes: buffers from 4 KiB to 64 MiB are recycled, by power-of-two class.
const (
	minPooledBits = 12
	maxPooledBits = 26
)

// bufferPool is an Arrow allocator for encoding: the builders' and the IPC writer's buffers
// live only while a batch is encoded and are all released after it, so they are put back and
// reused by the next batch instead of being allocated, zeroed by the runtime and collected
// again (a 1 MiB batch otherwise costs several fresh large allocations). A recycled buffer is
// not zeroed again: Arrow's builders clear the bitmaps they need clear and write every byte of
// the buffers they emit (TestEncodeWithThePoolIsDeterministic checks the bytes against Go's
// zeroing allocator). Decoding must not use it: decoded strings point into their batch's
// buffers after the batch is released.
type bufferPool struct {
	classes [maxPooledBits + 1]sync.Pool
	small   memory.Allocator
}

var encodePool = &bufferPool{small: memory.DefaultAllocator}

func classOf(size int) int { return bits.Len(uint(size - 1)) }

func (p *bufferPool) Allocate(size int) []byte {
	c := classOf(size)
	if size <= 1<<(minPooledBits-1) || c > maxPooledBits {
		return p.small.Allocate(size)
	}
	if v, ok := p.classes[c].Get().(*[]byte); ok {
		return (*v)[:size]
	}
	return make([]byte, size, 1<<c)
}

func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *bufferPool) Free(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minPooledBits || c > maxPooledBits || cap(b) != 1<<c {
		return
	}
	b = b[:cap(b)]
	p.classes[c].Put(&b)
}
