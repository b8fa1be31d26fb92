package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/prefstream/prefstream/ingest/prompts"
	"github.com/prefstream/prefstream/internal/plot"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/rollout"
	"github.com/prefstream/prefstream/trainer"
)

// demoRLOptions size the online-RLHF part of the demo.
type demoRLOptions struct {
	sftSteps int
	updates  int
	batch    int
	workers  int
	maxNew   int
}

// demoRLHF runs SFT, then PPO against the fine-tuned PM with rollout workers sampling the
// lake's questions, all on the demo's embedded server.
func demoRLHF(ctx context.Context, g *globals, out io.Writer, dir, lakeDir string, o demoRLOptions) error {
	fmt.Fprintf(out, "\n== 10. supervised fine-tuning (imitation of the chosen answers), nano policy, %d steps: policy version 1 and the reference\n", o.sftSteps)
	sft := trainPMFlags{stage: "sft", name: "sft", objective: "imitation", tokenizerRef: "tokenizer", preset: "nano", batch: 16,
		lr: 1e-3, steps: o.sftSteps, passes: 4, evalPairs: 256, evalEvery: 200, checkpointEvery: 500, seed: 1, lrSet: true}
	sft.src.fromLake = filepath.Join(lakeDir, "pairs", "source=stackexchange")
	if err := runTrainPM(ctx, g, out, sft); err != nil {
		return err
	}

	fmt.Fprintln(out, "\n== 11. prompts: the distinct questions of the lake, into PROMPTS")
	b, err := g.connect(ctx, "demo")
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := prompts.FromLake(ctx, b, filepath.Join(lakeDir, "pairs", "source=stackexchange"), prompts.Options{Source: "lake"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d prompts -> %s\n", res.Counts.Prompts, res.Subject)

	fmt.Fprintf(out, "\n== 12. online RLHF: %d rollout workers sample, pm-finetune scores, PPO updates the policy %d times (batches of %d)\n",
		o.workers, o.updates, o.batch)
	reg, err := registry.Open(ctx, b.JS, b.Replicas)
	if err != nil {
		return err
	}
	const run = "demo"
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	var wg sync.WaitGroup
	workerErr := make(chan error, o.workers)
	cache := rollout.NewModelCache(rollout.DefaultCacheModels)
	for i := range o.workers {
		w, err := rollout.New(b.JS, reg, rollout.Options{Run: run, Worker: fmt.Sprintf("demo-%d", i+1), Batch: 8, Seed: uint64(i + 1),
			Sampling: trainer.Sampling{Temperature: 1, TopP: 1, MaxNew: o.maxNew}, MaxAhead: 3, Models: cache, Log: zap.NewNop()})
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
				workerErr <- err
			}
		}()
	}
	var updates, rewards, kls []float64
	fmt.Fprintf(out, "   %6s %8s %8s %8s %8s %8s %s\n", "update", "version", "reward", "KL", "entropy", "tok/s", "lag")
	started := time.Now()
	err = trainer.RunPPO(ctx, b.JS, reg, trainer.PPORunOptions{Run: run, Init: "sft", PM: "pm-finetune", Batch: o.batch,
		Updates: o.updates, PPO: demoPPO(), IdleTimeout: 20 * time.Second,
		Log: func(st trainer.PPOStats, version int, _ []string) {
			updates, rewards, kls = append(updates, float64(st.Update)), append(rewards, st.MeanReward), append(kls, st.MeanKL)
			fmt.Fprintf(out, "   %6d %8d %8.3f %8.3f %8.3f %8.0f %s\n", st.Update, version, st.MeanReward, st.MeanKL, st.Entropy, st.TokensPerSec, lagString(st.Lag))
		}})
	stopWorkers()
	wg.Wait()
	close(workerErr)
	if err != nil {
		return err
	}
	for werr := range workerErr {
		return werr
	}
	path := filepath.Join(dir, "ppo-demo.png")
	if len(updates) > 0 {
		if err := plot.Panels(path, "online RLHF, run demo", plot.Panel{Title: "mean PM reward per update", XLabel: "update", YLabel: "reward",
			Series: []plot.Series{{Name: "reward", X: updates, Y: rewards, Markers: true}}},
			plot.Panel{Title: "KL(policy || reference) per response", XLabel: "update", YLabel: "nats",
				Series: []plot.Series{{Name: "KL", X: updates, Y: kls, Markers: true}}}); err != nil {
			return err
		}
		fmt.Fprintf(out, "   %d updates in %.0f s; curves: %s\n", len(updates), time.Since(started).Seconds(), path)
	}
	return nil
}

// demoPPO are the PPO settings of the demo: recipes.md's, with a rate suited to the nano
// preset and a staleness bound that fits two workers each sampling a 64-prompt message ahead.
func demoPPO() trainer.PPOOptions {
	o := trainer.DefaultPPO()
	o.Beta, o.LR, o.Minibatch, o.Epochs, o.MaxStaleness = 0.1, 1e-4, 8, 2, 4
	return o
}
