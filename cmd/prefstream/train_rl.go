package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/plot"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/trainer"
)

func newTrainSFTCmd(g *globals) *cobra.Command {
	var f trainPMFlags
	cmd := &cobra.Command{
		Use:   "sft",
		Short: "Train the policy by imitation of the chosen responses; it becomes the first policy and the frozen reference",
		Long: `Trains a policy (the same transformer with an LM head and a value head) with the next-token loss
on the chosen responses of pairs (the PAIRS stream or --from-lake DIR), each ended by the
end-of-context token so the policy learns to stop. Checkpoints go to the registry as NAME
(default "sft"); 'prefstream train ppo --init sft' starts a run from it, and it stays that run's
reference. Resumes like 'train pm'.`,
		Example: `  prefstream train sft --preset nano --passes 1
  prefstream train sft --from-lake ./lake/pairs --steps 500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.stage, f.objective = "sft", "imitation"
			f.lrSet = true
			return runTrainPM(cmd.Context(), g, cmd.OutOrStdout(), f)
		},
	}
	f.src.register(cmd)
	cmd.Flags().StringVar(&f.name, "name", "sft", "policy name in the registry")
	cmd.Flags().StringVar(&f.run, "run", "", "run id; a restart with the same name and run resumes (default: the name)")
	cmd.Flags().StringVar(&f.tokenizerRef, "tokenizer", "tokenizer", "tokenizer in the registry")
	cmd.Flags().IntVar(&f.vocab, "vocab", 4096, "vocabulary size when the tokenizer must be trained first")
	cmd.Flags().StringVar(&f.preset, "preset", "nano", "architecture: "+strings.Join(trainer.PresetNames(), ", "))
	cmd.Flags().IntVar(&f.batch, "batch", 16, "responses per step")
	cmd.Flags().Float64Var(&f.lr, "lr", 1e-3, "learning rate")
	cmd.Flags().IntVar(&f.steps, "steps", 0, "stop after N steps (0: after --passes passes)")
	cmd.Flags().IntVar(&f.passes, "passes", 1, "passes over the data")
	cmd.Flags().IntVar(&f.window, "window", 0, "pairs shuffled together (default 64 batches)")
	cmd.Flags().IntVar(&f.evalPairs, "eval-pairs", 256, "held-out pairs (test split); reported as preference accuracy by mean log-probability")
	cmd.Flags().IntVar(&f.evalEvery, "eval-every", 100, "steps between evaluations")
	cmd.Flags().IntVar(&f.checkpointEvery, "checkpoint-every", 200, "steps between checkpoints")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed")
	return cmd
}

type trainPPOFlags struct {
	run, init, pm, fromLake, plotPath string
	batch, updates                    int
	idle, ackWait                     time.Duration
	o                                 trainer.PPOOptions
}

func newTrainPPOCmd(g *globals) *cobra.Command {
	f := trainPPOFlags{o: trainer.DefaultPPO()}
	cmd := &cobra.Command{
		Use:   "ppo",
		Short: "Improve the policy with PPO on the trajectories rollout workers publish",
		Long: `Consumes trajectories.<run> (published by 'prefstream rollout --run RUN' workers) in batches of
--batch; per token the reward is -beta * (log pi_behaviour - log pi_reference), plus the PM score
at the last token; GAE (gamma 1, lambda 0.95), whitened advantages, clipped ratio (0.2) against
the policy at the start of the update with truncated importance weights for late trajectories,
clipped value loss, --epochs passes of --minibatch trajectories. A trajectory more than
--max-staleness versions behind is dropped (--stale drop) or kept with its truncated weights
(--stale truncate). With --target-kl, beta adapts slowly toward that KL per response.

Each update is published to the registry as the next version of policy-<run>; workers switch
to it without stopping. The first run of RUN publishes --init (the SFT policy, also the frozen
reference) as version 1, naming --pm for the workers. Trajectories are acknowledged only once
the version their update made is stored: a killed trainer restarted with the same --run
continues from its newest version, using every trajectory exactly once.

Prints reward and KL per update, and writes their curves to --plot.`,
		Example: `  prefstream train ppo --run demo --init sft --pm pm-finetune --updates 30
  prefstream train ppo --run offline --from-lake ./lake/trajectories --init sft --pm pm-finetune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrainPPO(cmd.Context(), g, cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.run, "run", "", "run name (required)")
	fl.StringVar(&f.init, "init", "sft", "SFT policy to start a new run from (also its reference)")
	fl.StringVar(&f.pm, "pm", "pm-finetune", "preference model the workers score with")
	fl.IntVar(&f.batch, "batch", 32, "trajectories per update")
	fl.IntVar(&f.updates, "updates", 0, "stop after this many updates in total (0: run until stopped)")
	fl.Float64Var(&f.o.Beta, "beta", f.o.Beta, "KL coefficient (initial, with --target-kl)")
	fl.Float64Var(&f.o.TargetKL, "target-kl", 0, "adapt beta toward this KL per response (0: fixed beta)")
	fl.IntVar(&f.o.Epochs, "epochs", f.o.Epochs, "passes over each batch")
	fl.IntVar(&f.o.Minibatch, "minibatch", f.o.Minibatch, "trajectories per gradient step")
	fl.Float64Var(&f.o.LR, "lr", f.o.LR, "learning rate")
	fl.IntVar(&f.o.MaxStaleness, "max-staleness", f.o.MaxStaleness, "versions a trajectory may lag")
	fl.StringVar(&f.o.Stale, "stale", f.o.Stale, "what to do with staler trajectories: drop or truncate")
	fl.DurationVar(&f.idle, "idle-timeout", 0, "stop when no trajectory arrived for this long (0: wait)")
	fl.DurationVar(&f.ackWait, "ack-wait", 5*time.Minute, "how long trajectories held by the trainer stay unacknowledged")
	fl.StringVar(&f.fromLake, "from-lake", "", "learn from the trajectories in this lake folder (offline) instead of the stream")
	fl.StringVar(&f.plotPath, "plot", "", "PNG of reward and KL per update (default ppo-<run>.png)")
	cmd.MarkFlagRequired("run")
	return cmd
}

func runTrainPPO(ctx context.Context, g *globals, out io.Writer, f trainPPOFlags) error {
	reg, done, err := g.openRegistry(ctx)
	if err != nil {
		return err
	}
	defer done()
	b, err := g.connect(ctx, "trainer")
	if err != nil {
		return err
	}
	defer b.Close()
	if err := g.serve(ctx); err != nil {
		return err
	}
	if f.plotPath == "" {
		f.plotPath = "ppo-" + f.run + ".png"
	}
	var updates, rewards, kls []float64
	log := g.log
	fmt.Fprintf(out, "%6s %8s %8s %8s %8s %6s %8s %8s %s\n", "update", "version", "reward", "KL", "beta", "clip", "entropy", "tok/s", "lag")
	o := trainer.PPORunOptions{Run: f.run, Init: f.init, PM: f.pm, Batch: f.batch, Updates: f.updates, PPO: f.o,
		IdleTimeout: f.idle, AckWait: f.ackWait, FromLake: f.fromLake,
		Log: func(st trainer.PPOStats, version int, _ []string) {
			updates, rewards, kls = append(updates, float64(st.Update)), append(rewards, st.MeanReward), append(kls, st.MeanKL)
			fmt.Fprintf(out, "%6d %8d %8.4f %8.4f %8.4f %6.3f %8.3f %8.0f %s\n", st.Update, version, st.MeanReward, st.MeanKL, st.Beta,
				st.ClipFraction, st.Entropy, st.TokensPerSec, lagString(st.Lag))
			log.Debug("update", zap.Int("update", st.Update), zap.Int("trajectories", st.Trajectories), zap.Int("dropped", st.Dropped),
				zap.Float64("value_loss", st.ValueLoss))
		}}
	err = trainer.RunPPO(ctx, b.JS, reg, o)
	if len(updates) > 0 {
		if perr := plot.Panels(f.plotPath, "PPO run "+f.run, plot.Panel{Title: "mean PM reward", XLabel: "update", YLabel: "reward",
			Series: []plot.Series{{Name: "reward", X: updates, Y: rewards, Markers: true}}},
			plot.Panel{Title: "KL(policy || reference) per response", XLabel: "update", YLabel: "nats",
				Series: []plot.Series{{Name: "KL", X: updates, Y: kls, Markers: true}}}); perr != nil {
			return perr
		}
		fmt.Fprintf(out, "curves: %s\n", filepath.Clean(f.plotPath))
	}
	if err != nil {
		return err
	}
	if e, rerr := reg.Resolve(ctx, trainer.PolicyName(f.run)); rerr == nil {
		fmt.Fprintf(out, "newest policy: %s\n", e.Ref())
	} else if rerr != registry.ErrNotFound {
		return rerr
	}
	return nil
}

func lagString(lag map[int]int) string {
	keys := make([]int, 0, len(lag))
	for k := range lag {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(k) + ":" + strconv.Itoa(lag[k])
	}
	return strings.Join(parts, " ")
}
