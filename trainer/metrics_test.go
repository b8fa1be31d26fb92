package trainer

import (
	"testing"

	"github.com/prefstream/prefstream/internal/calibration"
)

// A training run's progress reports become its prefstream_train_* series.
func TestObserveProgress(t *testing.T) {
	ObserveProgress("pm-metrics", Progress{Event: "eval", Step: 200, Loss: 0.41,
		Eval: &calibration.Summary{Accuracy: 0.7, Loss: 0.55, ECE: 0.04}})
	ObserveProgress("pm-metrics", Progress{Event: "checkpoint", Step: 250, Version: 3})
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"prefstream_train_step", "model", "pm-metrics", 250},
		{"prefstream_train_loss", "model", "pm-metrics", 0.41},
		{"prefstream_train_checkpoint_version", "model", "pm-metrics", 3},
		{"prefstream_train_eval", "metric", "accuracy", 0.7},
		{"prefstream_train_eval", "metric", "ece", 0.04},
	} {
		if got := metricValue(t, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s{%s=%s} = %v, want %v", c.name, c.label, c.value, got, c.want)
		}
	}
}
