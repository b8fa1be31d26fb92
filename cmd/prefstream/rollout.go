package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/rollout"
)

func newRolloutCmd(g *globals) *cobra.Command {
	var o rollout.Options
	var workers int
	cmd := &cobra.Command{
		Use:   "rollout --run NAME",
		Short: "Sample responses with the newest policy of an RLHF run and publish trajectories (long-running)",
		Long: `A rollout worker of run NAME: it follows the registry's newest policy-NAME (published by
'prefstream train ppo --run NAME'), with the preference model and the reference policy named by
the version's "pm" and "reference" labels, and switches to each new version between two batches
without stopping. A version that fails to load or verify is logged with the reason and the
worker keeps the one it has. Until policy-NAME exists it waits and says so.

It takes prompts from the PROMPTS stream (prompts.>, or --prompts SUBJECT; see 'prefstream
ingest prompts') through the durable consumer rollout-NAME, which every worker of the run shares:
start as many as you like, on any machine that reaches the NATS server. Per --batch prompts it
samples responses (--temperature, --top-p, --max-new tokens) with a KV cache, computes the
sampling policy's and the reference's log-probabilities of each token and the preference
model's reward, and publishes the trajectories to trajectories.NAME; trajectories that fail
validation go to dlq.rollout.NAME with the reason. A prompt message is acknowledged only once
its trajectories are stored: if a worker dies, its message goes to another worker after
--ack-wait and each prompt still yields exactly one trajectory (give every worker of a run the
same --batch). A message that was delivered --max-deliver times is dead-lettered.

--workers N runs N workers in this process (named WORKER-1 ... WORKER-N). They share one copy
of each model: a new version is fetched, verified and decoded once for all of them.

Runs until SIGINT/SIGTERM, or with --until-idle until no prompt arrived for that long, then
prints its totals. --metrics-addr serves prefstream_rollout_* metrics (batches, trajectories,
tokens, tokens/s, policy version, load time, load failures, dead letters).`,
		Example: `  prefstream --nats nats://10.0.0.5:4222 rollout --run demo
  prefstream rollout --run demo --worker gpu-0 --batch 16 --temperature 0.8 --top-p 0.95 --max-new 96
  prefstream rollout --run demo --prompts prompts.lake --until-idle 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRolloutFlags(cmd, &o); err != nil {
				return err
			}
			if workers < 1 {
				return fmt.Errorf("rollout: --workers %d: want at least 1", workers)
			}
			ctx := cmd.Context()
			b, err := g.connect(ctx, "rollout")
			if err != nil {
				return err
			}
			defer b.Close()
			reg, err := registry.Open(ctx, b.JS, b.Replicas)
			if err != nil {
				return err
			}
			if err := g.serve(ctx); err != nil {
				return err
			}
			o.Log = g.log
			return runRolloutWorkers(ctx, cmd.OutOrStdout(), b.JS, reg, o, workers)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Run, "run", "", "RLHF run name (required): policy-NAME, consumer rollout-NAME, trajectories.NAME")
	f.StringVar(&o.Worker, "worker", "", "worker name recorded in trajectories (default host name and process id)")
	f.IntVar(&o.Batch, "batch", rollout.DefaultBatch, "prompts sampled together (use the same on every worker of a run)")
	f.Float64Var(&o.Sampling.Temperature, "temperature", 1, "sampling temperature (> 0)")
	f.Float64Var(&o.Sampling.TopP, "top-p", 1, "nucleus sampling: keep the most likely tokens up to this probability (0 < p <= 1)")
	f.IntVar(&o.Sampling.MaxNew, "max-new", rollout.DefaultMaxNew, "most tokens per response (below the policy's context)")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the samplers (each batch's seed, recorded in its trajectories, derives from it)")
	f.StringVar(&o.Prompts, "prompts", rollout.DefaultPrompts, "prompt subjects to read (every worker of a run must use the same)")
	f.DurationVar(&o.AckWait, "ack-wait", rollout.DefaultAckWait, "how long a dead worker's prompt message waits before another worker gets it")
	f.IntVar(&o.MaxDeliver, "max-deliver", rollout.DefaultMaxDeliver, "attempts at a prompt message before it is dead-lettered")
	f.DurationVar(&o.UntilIdle, "until-idle", 0, "exit once no prompt arrived for this long (0: run until stopped)")
	f.IntVar(&workers, "workers", 1, "workers in this process, sharing the loaded models")
	f.IntVar(&o.MaxAhead, "max-ahead", rollout.DefaultMaxAhead, "take no prompts while the trainer has more than this many trajectory batches waiting (negative: no limit)")
	return cmd
}

// runRolloutWorkers runs n workers sharing one model cache until they stop, then prints each
// one's totals; it returns the first error.
func runRolloutWorkers(ctx context.Context, out io.Writer, js jetstream.JetStream, reg *registry.Registry, o rollout.Options, n int) error {
	if o.Worker == "" {
		o.Worker = rollout.DefaultWorkerName()
	}
	o.Models = rollout.NewModelCache(rollout.DefaultCacheModels)
	ws := make([]*rollout.Worker, n)
	for i := range ws {
		wo := o
		if n > 1 {
			wo.Worker = o.Worker + "-" + strconv.Itoa(i+1)
		}
		w, err := rollout.New(js, reg, wo)
		if err != nil {
			return err
		}
		ws[i] = w
	}
	// One worker failing stops the others: the process exits and its supervisor restarts it.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := make([]error, n)
	var done sync.WaitGroup
	for i, w := range ws {
		done.Add(1)
		go func() {
			defer done.Done()
			if errs[i] = ignoreCanceled(w.Run(ctx)); errs[i] != nil {
				stop()
			}
		}()
	}
	done.Wait()
	for _, w := range ws {
		printRolloutStats(out, w.Options(), w.Stats())
	}
	return errors.Join(errs...)
}

// checkRolloutFlags refuses values the library would take as "use the default".
func checkRolloutFlags(cmd *cobra.Command, o *rollout.Options) error {
	if o.Run == "" {
		return fmt.Errorf("rollout: --run NAME is required")
	}
	for _, name := range []string{"batch", "temperature", "top-p", "max-new", "ack-wait", "max-deliver"} {
		if fl := cmd.Flags().Lookup(name); fl.Changed && (fl.Value.String() == "0" || fl.Value.String() == "0s") {
			return fmt.Errorf("rollout: --%s 0 is out of range", name)
		}
	}
	check := *o
	return check.Check()
}

func printRolloutStats(out io.Writer, o rollout.Options, s rollout.Stats) {
	fmt.Fprintf(out, "rollout %s, worker %s: %d trajectories (%d tokens) in %d batches from %d prompt messages; %d batches already stored (redelivered); %d dead letters; policy version %d; %d versions refused\n",
		o.Run, o.Worker, s.Trajectories, s.Tokens, s.Batches, s.Messages, s.Duplicates, s.DeadLetters, s.PolicyVersion, s.LoadFailures)
}
