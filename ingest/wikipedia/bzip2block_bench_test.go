package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"io"
	"sync"
	"testing"
)

// blockBenchXML is a generated ~50 MB full-history export, and
// blockBenchBz2 the same compressed by bzip2 -9.
var (
	blockBenchXML = sync.OnceValue(func() []byte {
		return genExport(genOptions{seed: 50, size: 50 << 20, schema: "0.11"})
	})
	blockBenchOnce sync.Once
	blockBenchBz2  []byte
)

func blockBenchInput(b *testing.B) []byte {
	blockBenchOnce.Do(func() { blockBenchBz2 = compressBzip2(b, blockBenchXML(), 9) })
	if blockBenchBz2 == nil {
		b.Skip("bzip2 not on PATH")
	}
	b.SetBytes(int64(len(blockBenchXML())))
	return blockBenchBz2
}

// BenchmarkBlockDecoder decodes the blocks of the input one after the
// other with one blockDecoder, as a worker does.
func BenchmarkBlockDecoder(b *testing.B) {
	jobs := wrappedJobs(b, blockBenchInput(b))
	var dec blockDecoder
	out := make([]byte, 0, 2*bzOutputBytes)
	start := cpuTime()
	for b.Loop() {
		for _, job := range jobs {
			var err error
			if out, err = dec.decodeStream(job.stream, out[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, start)
}

// BenchmarkStdlibBlock decodes the same one-block streams with one
// compress/bzip2 reader, as the workers did before blockDecoder: the
// streams back to back make a multistream input.
func BenchmarkStdlibBlock(b *testing.B) {
	var streams []byte
	for _, job := range wrappedJobs(b, blockBenchInput(b)) {
		streams = append(streams, job.stream...)
	}
	buf := make([]byte, 1<<20)
	start := cpuTime()
	for b.Loop() {
		zr := bzip2.NewReader(bytes.NewReader(streams))
		for {
			_, err := zr.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, start)
}

// BenchmarkLbzip2OneCore is the C reference per core: `lbzip2 -dc -n 1`
// on the same input.
func BenchmarkLbzip2OneCore(b *testing.B) {
	benchCommand(b, blockBenchInput(b), "lbzip2", "-dc", "-n", "1")
}
