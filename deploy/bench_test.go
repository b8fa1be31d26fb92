package deploy

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkPipelineR1vsR3 measures the Stack Exchange pipeline (ingest, featurize and the
// Parquet sink in one process) on the same generated site, on this machine, twice:
//
//	R1: the embedded single-node server (the default without --nats), in-process connection
//	R3: the 3-node cluster of nats/ (TLS, users, R3 streams), booted in the test process,
//	    the pipeline a child process logged in as "pipeline" over loopback TCP
//
// and reports each as MB/s of Posts.xml read (the pipeline's own figure: bytes_in / seconds)
// and seconds. The site is $PREFSTREAM_BENCH_SIZE (default 64MB) of Posts.xml. Run it with
// deploy/bench.sh, or: go test ./deploy -run '^$' -bench PipelineR1vsR3 -benchtime 1x
func BenchmarkPipelineR1vsR3(b *testing.B) {
	size := os.Getenv("PREFSTREAM_BENCH_SIZE")
	if size == "" {
		size = "64MB"
	}
	siteDir := site(b, "--size", size)
	var r1, r3, s1, s3 []float64
	for b.Loop() {
		e := benchEmbedded(b, siteDir)
		r1, s1 = append(r1, float64(e.BytesIn)/1e6/e.Seconds), append(s1, e.Seconds)
		s := benchCluster(b, siteDir)
		r3, s3 = append(r3, float64(s.BytesIn)/1e6/s.Seconds), append(s3, s.Seconds)
		if s.Pairs["stackexchange"] != e.Pairs["stackexchange"] || s.Pairs["stackexchange"] == 0 {
			b.Fatalf("R1 committed %d pairs, R3 %d", e.Pairs["stackexchange"], s.Pairs["stackexchange"])
		}
		b.Logf("R1: %.1f MB in %.1fs = %.1f MB/s; R3: %.1f MB in %.1fs = %.1f MB/s",
			float64(s.BytesIn)/1e6, s1[len(s1)-1], r1[len(r1)-1], float64(s.BytesIn)/1e6, s3[len(s3)-1], r3[len(r3)-1])
	}
	b.ReportMetric(median(r1), "R1-MB/s")
	b.ReportMetric(median(r3), "R3-MB/s")
	b.ReportMetric(median(s1), "R1-s")
	b.ReportMetric(median(s3), "R3-s")
}

func benchEmbedded(b *testing.B, siteDir string) summary {
	dir := b.TempDir()
	sumFile := filepath.Join(dir, "summary.json")
	runPrefstream(b, 30*time.Minute, "--log-level", "warn", "pipeline", "--data-dir", filepath.Join(dir, "data"),
		"--lake", filepath.Join(dir, "lake"), "--summary", sumFile, "stackexchange="+siteDir)
	defer os.RemoveAll(dir)
	return readSummary(b, sumFile)
}

func benchCluster(b *testing.B, siteDir string) summary {
	c := startCluster(b)
	defer c.shutdown()
	dir := b.TempDir()
	defer os.RemoveAll(dir)
	sumFile := filepath.Join(dir, "summary.json")
	runPrefstream(b, 30*time.Minute, append(c.flags("pipeline"), "--log-level", "warn", "pipeline", "--data-dir", filepath.Join(dir, "data"),
		"--lake", filepath.Join(dir, "lake"), "--summary", sumFile, "stackexchange="+siteDir)...)
	return readSummary(b, sumFile)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
