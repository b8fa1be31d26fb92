package trainer

import (
	"testing"

	"github.com/prefstream/prefstream/internal/calibration"
)

// A training run's progress reports become its prefstream_train_* series.
func TestObserveProgress(t *testing.T) {
	observeProgress("pm-metrics", Progress{Event: "eval", Step: 200, Loss: 0.41,
		Eval: &calibration.Summary{Accuracy: 0.7, Loss: 0.55, ECE: 0.04}})
	observeProgress("pm-metrics", Progress{Event: "checkpoint", Step: 250, Version: 3})
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

// A PPO run's series add up what each update reports, and batches dropped whole count too.
func TestObservePPO(t *testing.T) {
	observeDropped("run-metrics", PPOStats{Dropped: 5})
	observePPO("run-metrics", PPOStats{Update: 4, Trajectories: 3, Dropped: 2, MeanReward: 0.25, Lag: map[int]int{0: 2, 3: 1}}, 7)
	for name, want := range map[string]float64{
		"prefstream_ppo_trajectories_dropped_total": 7, "prefstream_ppo_trajectories_total": 3,
		"prefstream_ppo_policy_lag": 3, "prefstream_ppo_policy_version": 7, "prefstream_ppo_update": 4,
		"prefstream_ppo_mean_reward": 0.25,
	} {
		if got := metricValue(t, name, "run", "run-metrics"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
