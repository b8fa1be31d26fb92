package registry

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RawPutGet is the baseline that Publish and Fetch are measured against: it stores size bytes
// of Pattern as one plain object of the bucket "models" (in chunks of chunkSize; 0 means
// nats.go's default, 128 KiB), reads them back, and deletes the object, with none of the
// registry's claims, entries or checks. The bucket must exist (Open creates it).
func RawPutGet(ctx context.Context, js jetstream.JetStream, size int64, chunkSize uint32) (put, get time.Duration, err error) {
	obs, err := js.ObjectStore(ctx, BucketModels)
	if err != nil {
		return 0, 0, fmt.Errorf("registry: raw put/get: %w", err)
	}
	// A name no model can have: model names start with a letter or digit.
	name := fmt.Sprintf("_raw/%d-%x", time.Now().UnixNano(), rand.Uint64())
	meta := jetstream.ObjectMeta{Name: name}
	if chunkSize > 0 {
		meta.Opts = &jetstream.ObjectMetaOptions{ChunkSize: chunkSize}
	}
	start := time.Now()
	if _, err := obs.Put(ctx, meta, fullReader{Pattern(size)}); err != nil {
		return 0, 0, fmt.Errorf("registry: raw put: %w", err)
	}
	put = time.Since(start)
	defer obs.Delete(context.WithoutCancel(ctx), name)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, transferTimeout(size))
		defer cancel()
	}
	start = time.Now()
	res, err := obs.Get(ctx, name)
	if err != nil {
		return 0, 0, fmt.Errorf("registry: raw get: %w", err)
	}
	defer res.Close()
	// The same reads as the registry's (see verifier.WriteTo), so that only its logic differs.
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{res}, make([]byte, max(chunkSize, 256<<10)))
	if err != nil {
		return 0, 0, fmt.Errorf("registry: raw get: %w", err)
	}
	if n != size {
		return 0, 0, fmt.Errorf("registry: raw get: %d bytes, want %d", n, size)
	}
	return put, time.Since(start), nil
}

// Pattern returns size bytes that do not compress (a 1 MiB pseudo-random block, repeated),
// made as they are read: a stand-in for checkpoint weights in tests and benchmarks.
func Pattern(size int64) io.Reader {
	block := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(block); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			block[i+j] = byte(v >> (8 * j))
		}
	}
	return io.LimitReader(&repeater{block: block}, size)
}

type repeater struct {
	block []byte
	off   int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + c) % len(r.block)
	}
	return n, nil
}
