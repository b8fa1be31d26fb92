package registry

import (
	"context"
	"io"
	"testing"
	"time"
)

// benchSize is a policy-sized checkpoint.
const benchSize = 64 << 20

// BenchmarkPublishFetch publishes a 64 MiB blob through the registry and fetches it back
// checked, and in the same iteration times RawPutGet on the same server: the same bytes as a
// plain Object Store put and get, in the registry's chunks and in nats.go's default ones. The
// pairs share the machine's load of the moment, so the ratios hold when the machine is busy.
// Reported: MB/s of put and get for each, and registry time / raw time (x-raw).
func BenchmarkPublishFetch(b *testing.B) {
	r, bs := testRegistry(b)
	ctx := context.Background()
	var put, get, rawPut, rawGet, defPut, defGet time.Duration
	b.SetBytes(benchSize)
	for b.Loop() {
		start := time.Now()
		e, err := r.Publish(ctx, Entry{Name: "bench", Kind: "policy"}, Pattern(benchSize))
		if err != nil {
			b.Fatal(err)
		}
		put += time.Since(start)
		start = time.Now()
		if _, err := r.Fetch(ctx, e.Ref(), io.Discard); err != nil {
			b.Fatal(err)
		}
		get += time.Since(start)

		b.StopTimer()
		p, g, err := RawPutGet(ctx, bs.JS, benchSize, r.ChunkSize())
		if err != nil {
			b.Fatal(err)
		}
		rawPut, rawGet = rawPut+p, rawGet+g
		p, g, err = RawPutGet(ctx, bs.JS, benchSize, 0)
		if err != nil {
			b.Fatal(err)
		}
		defPut, defGet = defPut+p, defGet+g
		b.StartTimer()
	}
	mb := float64(benchSize) * float64(b.N) / 1e6
	for _, m := range []struct {
		unit string
		d    time.Duration
	}{
		{"put-MB/s", put}, {"get-MB/s", get},
		{"raw-put-MB/s", rawPut}, {"raw-get-MB/s", rawGet},
		{"raw128k-put-MB/s", defPut}, {"raw128k-get-MB/s", defGet},
	} {
		b.ReportMetric(mb/m.d.Seconds(), m.unit)
	}
	b.ReportMetric((put+get).Seconds()/(rawPut+rawGet).Seconds(), "x-raw")
	b.ReportMetric((put+get).Seconds()/(defPut+defGet).Seconds(), "x-raw128k")
}
