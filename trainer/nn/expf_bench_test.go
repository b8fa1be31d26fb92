package nn

import (
	"testing"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

func BenchmarkExpf(b *testing.B) {
	xs := make([]float32, 4096)
	for i := range xs {
		xs[i] = float32(i%200)/10 - 15
	}
	b.SetBytes(int64(len(xs)) * 4)
	var sink float32
	for range b.N {
		for _, x := range xs {
			sink += vec.Expf(x)
		}
	}
	_ = sink
}
