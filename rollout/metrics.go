package rollout

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	labels          = []string{"run", "worker"}
	batchesOut      = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_rollout_batches_total", Help: "Batches of prompts sampled and stored."}, labels)
	trajectoriesOut = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_rollout_trajectories_total", Help: "Trajectories published (duplicates of a redelivered message not counted)."}, labels)
	tokensOut       = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_rollout_tokens_total", Help: "Response tokens sampled."}, labels)
	tokensPerSec    = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_rollout_tokens_per_second", Help: "Response tokens per second of the last batch (sampling, reference log-probs and reward)."}, labels)
	policyVersion   = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_rollout_policy_version", Help: "Registry version of the policy in use."}, labels)
	loadSeconds     = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_rollout_load_seconds", Help: "How long the last policy version took to fetch, verify and build."}, labels)
	loadFailures    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_rollout_load_failures_total", Help: "Policy versions that could not be used (the worker kept the one it had)."}, labels)
	deadLettersOut  = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_rollout_dead_letters_total", Help: "Prompts, trajectories and prompt messages dead-lettered."}, labels)
)

// metrics are one worker's series.
type metrics struct {
	batches, trajectories, tokens, loadFailures, deadLetters prometheus.Counter
	tokensPerSec, version, loadSeconds                       prometheus.Gauge
}

func newMetrics(run, worker string) metrics {
	l := prometheus.Labels{"run": run, "worker": worker}
	return metrics{
		batches: batchesOut.With(l), trajectories: trajectoriesOut.With(l), tokens: tokensOut.With(l),
		loadFailures: loadFailures.With(l), deadLetters: deadLettersOut.With(l),
		tokensPerSec: tokensPerSec.With(l), version: policyVersion.With(l), loadSeconds: loadSeconds.With(l),
	}
}
