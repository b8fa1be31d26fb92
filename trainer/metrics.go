package trainer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Prometheus series of training runs, served on --metrics-addr by `prefstream train ...`.
var (
	// ppoGauges are the per-update statistics of PPO runs, by name after prefstream_ppo_.
	ppoGauges = func() map[string]*prometheus.GaugeVec {
		gauges := map[string]*prometheus.GaugeVec{}
		for _, g := range []struct{ name, help string }{
			{"update", "Updates made by the run (its newest policy version carries this update)."},
			{"policy_version", "Registry version of the newest policy."},
			{"mean_reward", "Mean PM score of the last update's trajectories."},
			{"kl", "Mean KL(policy || reference) per response of the last update."},
			{"beta", "KL coefficient of the last update."},
			{"entropy", "Mean per-token entropy of the policy in the last update."},
			{"clip_fraction", "Fraction of tokens whose ratio was clipped in the last update."},
			{"value_loss", "Value loss of the last update."},
			{"tokens_per_second", "Response tokens per second of the last update."},
		} {
			gauges[g.name] = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_ppo_" + g.name, Help: g.help}, []string{"run"})
		}
		return gauges
	}()
	ppoTrajectories = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ppo_trajectories_total",
		Help: "Trajectories used by updates."}, []string{"run"})
	ppoDropped = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_ppo_trajectories_dropped_total",
		Help: "Trajectories dropped as too stale."}, []string{"run"})
	ppoLag = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "prefstream_ppo_policy_lag",
		Help:    "Policy versions between the one that sampled a trajectory and the one it updated.",
		Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 16}}, []string{"run"})

	trainStep = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_train_step",
		Help: "Steps taken by the training run of the model."}, []string{"model"})
	trainLoss = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_train_loss",
		Help: "Mean training loss since the previous evaluation."}, []string{"model"})
	trainEval = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_train_eval",
		Help: "Held-out metrics of the last evaluation: accuracy, loss, ece."}, []string{"model", "metric"})
	trainVersion = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "prefstream_train_checkpoint_version",
		Help: "Registry version of the last checkpoint."}, []string{"model"})
)

// observePPO records one update of a PPO run and the version it was published as.
func observePPO(run string, st PPOStats, version int) {
	for name, v := range map[string]float64{
		"update": float64(st.Update), "policy_version": float64(version), "mean_reward": st.MeanReward, "kl": st.MeanKL,
		"beta": st.Beta, "entropy": st.Entropy, "clip_fraction": st.ClipFraction, "value_loss": st.ValueLoss,
		"tokens_per_second": st.TokensPerSec,
	} {
		ppoGauges[name].WithLabelValues(run).Set(v)
	}
	ppoTrajectories.WithLabelValues(run).Add(float64(st.Trajectories))
	observeDropped(run, st)
	lag := ppoLag.WithLabelValues(run)
	for versions, n := range st.Lag {
		for range n {
			lag.Observe(float64(versions))
		}
	}
}

// observeDropped counts the trajectories of a batch dropped as too stale, whether or not the
// rest made an update.
func observeDropped(run string, st PPOStats) {
	ppoDropped.WithLabelValues(run).Add(float64(st.Dropped))
}

// report records a progress report of the run as the prefstream_train_* series of its model
// and hands it to Log, if set.
func (o *RunOptions) report(p Progress) {
	observeProgress(o.Name, p)
	if o.Log != nil {
		o.Log(p)
	}
}

// observeProgress records a training run's progress report as the prefstream_train_* series
// of model.
func observeProgress(model string, p Progress) {
	trainStep.WithLabelValues(model).Set(float64(p.Step))
	switch p.Event {
	case "eval":
		trainLoss.WithLabelValues(model).Set(p.Loss)
	case "checkpoint":
		trainVersion.WithLabelValues(model).Set(float64(p.Version))
	}
	if p.Eval != nil {
		trainEval.WithLabelValues(model, "accuracy").Set(p.Eval.Accuracy)
		trainEval.WithLabelValues(model, "loss").Set(p.Eval.Loss)
		trainEval.WithLabelValues(model, "ece").Set(p.Eval.ECE)
	}
}
