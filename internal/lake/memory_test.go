package lake

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/prefstream/prefstream/schemas"
)

// texts makes n distinct pseudo-English texts of about size bytes, compressible like prose.
func texts(n, size int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 2000)
	for i := range words {
		var b strings.Builder
		for range 2 + rng.IntN(8) {
			b.WriteByte(byte('a' + rng.IntN(26)))
		}
		words[i] = b.String()
	}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for b.Len() < size {
			// Zipf-like: low word indexes are much more frequent.
			b.WriteString(words[int(float64(len(words))*rng.Float64()*rng.Float64()*rng.Float64())])
			b.WriteByte(' ')
		}
		out[i] = b.String()[:size]
	}
	return out
}

func textPairs(pool []string, seq uint64, n int) []schemas.Pair {
	rows := make([]schemas.Pair, n)
	for i := range rows {
		rows[i] = schemas.Pair{
			PairID: fmt.Sprintf("%d/%d", seq, i), Source: "se", Dump: "ai", ThreadID: fmt.Sprint(seq),
			Prompt: "why?", Chosen: pool[(int(seq)*n+i)%len(pool)], Rejected: "no", Split: schemas.SplitTrain,
		}
	}
	return rows
}

// TestMemoryBounded writes 200k rows of 1 KB text (200 MB, about 71 MB compressed) into one part
// and checks that the live heap stays below even the compressed size: full row groups go to the
// temp file instead of piling up in memory. (With unlimited row groups the peak is about 99 MB.)
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	const (
		total, perMessage = 200_000, 500
		bound             = 48 << 20
	)
	pool := texts(4096, 1024)
	w := openPairs(t, t.TempDir(), Options{})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, uint64(0)
	for seq := uint64(1); seq <= total/perMessage; seq++ {
		if err := w.Append(textPairs(pool, seq, perMessage), seq); err != nil {
			t.Fatal(err)
		}
		if seq%20 == 0 {
			runtime.GC() // measure what is live, not garbage awaiting collection
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse-base)
		}
	}
	e := mustCommit(t, w)
	t.Logf("%d rows, file %d bytes, peak heap in use %d MB above start", e.Rows, e.Bytes, peak>>20)
	if peak > bound {
		t.Fatalf("heap in use grew by %d MB writing 200 MB, bound %d MB", peak>>20, bound>>20)
	}
}

func BenchmarkWriterPairs(b *testing.B) {
	const perMessage, perPart = 256, 64 // 16384 rows, one row group, per part
	pool := texts(4096, 1024)
	for _, bc := range []struct {
		name  string
		level zstd.Level
	}{{"zstd-fastest", zstd.SpeedFastest}, {"zstd-default", zstd.SpeedDefault}} {
		b.Run(bc.name, func(b *testing.B) {
			w, err := OpenWriter[schemas.Pair](b.TempDir(), dataset, partition, Options{Compression: &zstd.Codec{Level: bc.level}})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			messages := make([][]schemas.Pair, perPart)
			var textBytes int64
			for i := range messages {
				messages[i] = textPairs(pool, uint64(i), perMessage)
				for _, p := range messages[i] {
					textBytes += int64(len(p.Prompt) + len(p.Chosen) + len(p.Rejected))
				}
			}
			b.SetBytes(textBytes)
			var seq uint64
			var fileBytes int64
			for b.Loop() {
				for _, rows := range messages {
					seq++
					if err := w.Append(rows, seq); err != nil {
						b.Fatal(err)
					}
				}
				e, err := w.Commit()
				if err != nil {
					b.Fatal(err)
				}
				fileBytes += e.Bytes
			}
			b.ReportMetric(float64(textBytes)*float64(b.N)/float64(fileBytes), "text/file")
		})
	}
}
