package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Prometheus series of ingestion, by source, served on --metrics-addr (counted in this process:
// a resumed dump counts from where it resumed).
var (
	documentsIn = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ingest_documents_total",
		Help: "Documents queued for RAW."}, []string{"source"})
	deadLettersIn = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ingest_dead_letters_total",
		Help: "Records dead-lettered by ingest."}, []string{"source"})
	skippedIn = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ingest_skipped_total",
		Help: "Records skipped on purpose (other namespaces, deleted bodies, ...)."}, []string{"source"})
	bytesIn = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ingest_bytes_total",
		Help: "Input bytes read (decompressed)."}, []string{"source"})
)

// sourceMetrics are one source's series, looked up once per Batcher rather than per record.
type sourceMetrics struct {
	documents, deadLetters, skipped, bytes prometheus.Counter
}

func metricsOf(source string) sourceMetrics {
	return sourceMetrics{documents: documentsIn.WithLabelValues(source), deadLetters: deadLettersIn.WithLabelValues(source),
		skipped: skippedIn.WithLabelValues(source), bytes: bytesIn.WithLabelValues(source)}
}

// countBytes adds n bytes of input to the dump's count and the source's series.
func (bt *Batcher) countBytes(n int64) {
	bt.cp.Counts.Bytes += n
	bt.metrics.bytes.Add(float64(n))
}
