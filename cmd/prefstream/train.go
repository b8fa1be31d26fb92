package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/nn"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

func newTrainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "train", Short: "Train the tokenizer, the preference model (PMP, fine-tuning), the SFT policy and PPO"}
	cmd.AddCommand(newTrainTokenizerCmd(g), newTrainPMCmd(g), newTrainSFTCmd(g), newTrainPPOCmd(g))
	return cmd
}

// pairSourceFlags chooses where pairs come from: a lake folder or a stream.
type pairSourceFlags struct {
	fromLake string
	source   string
}

func (f *pairSourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.fromLake, "from-lake", "", "replay pairs (or rankings) from this lake folder instead of the stream")
	cmd.Flags().StringVar(&f.source, "source", "", "read only pairs.<source> (or rankings.<source>); default every source")
}

func (f *pairSourceFlags) open(b *bus.Bus, rankings bool) trainer.Source {
	if f.fromLake != "" {
		return &trainer.LakeSource{Dir: f.fromLake}
	}
	stream, prefix := bus.StreamPairs, "pairs."
	if rankings {
		stream, prefix = bus.StreamRankings, "rankings."
	}
	subject := prefix + ">"
	if f.source != "" {
		subject = prefix + f.source
	}
	return &trainer.StreamSource{JS: b.JS, Stream: stream, Subject: subject}
}

func newTrainTokenizerCmd(g *globals) *cobra.Command {
	var src pairSourceFlags
	var name string
	var vocab int
	var sample sizeFlag = 8 << 20
	cmd := &cobra.Command{
		Use:   "tokenizer",
		Short: "Train the byte-level BPE tokenizer on a sample of the pairs' text and store it in the registry",
		Long: `Reads pairs (the PAIRS stream, or --from-lake DIR) until --sample bytes of prompt and response
text are collected, trains a byte-level BPE tokenizer of --vocab tokens (deterministic: the same
sample gives the same tokenizer), and publishes it to the registry as NAME (default "tokenizer").
Models record the version of the tokenizer they were trained with and refuse another.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			b, err := g.connect(ctx, "trainer")
			if err != nil {
				return err
			}
			defer b.Close()
			reg, err := registry.Open(ctx, b.JS, b.Replicas)
			if err != nil {
				return err
			}
			tok, err := trainTokenizer(ctx, src.open(b, false), vocab, int64(sample))
			if err != nil {
				return err
			}
			e, err := trainer.SaveTokenizer(ctx, reg, name, tok, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tokenizer %s: %d tokens, version %s\n", e.Ref(), tok.Vocab(), tok.Version())
			return nil
		},
	}
	src.register(cmd)
	cmd.Flags().StringVar(&name, "name", "tokenizer", "registry name of the tokenizer")
	cmd.Flags().IntVar(&vocab, "vocab", 4096, "vocabulary size (256 bytes, 4 special tokens, the rest merges)")
	cmd.Flags().Var(&sample, "sample", "bytes of text to train on")
	return cmd
}

// trainTokenizer trains on up to sample bytes of the source's texts, each distinct prompt once.
func trainTokenizer(ctx context.Context, src trainer.Source, vocab int, sample int64) (*tokenizer.Tokenizer, error) {
	var texts [][]byte
	var size int64
	lastPrompt := ""
	err := src.Each(ctx, trainer.Position{}, func(p schemas.Pair, _ trainer.Position) error {
		for i, s := range []string{p.Prompt, p.Chosen, p.Rejected} {
			if i == 0 && s == lastPrompt {
				continue
			}
			texts = append(texts, []byte(s))
			size += int64(len(s))
		}
		lastPrompt = p.Prompt
		if size >= sample {
			return errSampleFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSampleFull) {
		return nil, err
	}
	if size == 0 {
		return nil, fmt.Errorf("no text to train a tokenizer on in %s", src)
	}
	return tokenizer.Train(func(yield func([]byte) bool) {
		for _, t := range texts {
			if !yield(t) {
				return
			}
		}
	}, vocab)
}

var errSampleFull = errors.New("sample full")

type trainPMFlags struct {
	src             pairSourceFlags
	stage           string
	name, run       string
	init            string
	tokenizerRef    string
	preset          string
	objective       string
	batch           int
	lr              float64
	steps, passes   int
	window          int
	evalPairs       int
	evalEvery       int
	checkpointEvery int
	seed            uint64
	vocab           int
	lrSet           bool
}

func newTrainPMCmd(g *globals) *cobra.Command {
	var f trainPMFlags
	cmd := &cobra.Command{
		Use:   "pm",
		Short: "Train a preference model: --stage pmp on proxy pairs, then --stage finetune on human rankings",
		Long: `Stage pmp pre-trains on proxy pairs from the PAIRS stream (or --from-lake DIR), by default with
the binarized objective; it needs a tokenizer (--tokenizer REF; trained from the same data and
stored when the registry has none). Stage finetune starts from --init NAME@VERSION (a PMP
checkpoint) and trains on human rankings from the RANKINGS stream (or a lake folder), each
ranking of k giving k(k-1)/2 pairs, by default with the ranked objective at 0.1x the base
learning rate; without --init it trains from scratch.

The held-out set is the first --eval-pairs pairs of the test split (by thread or ranking; never
trained on), evaluated every --eval-every steps. Checkpoints (weights, optimizer, position in
the data) go to the registry as versions of NAME every --checkpoint-every steps and at the end.
Run again after a crash, the same NAME and --run resume from the last checkpoint at the same
position in the data; a finished run does nothing. A NaN loss stops the run, keeping the last
good checkpoint.`,
		Example: `  prefstream train pm --stage pmp --preset nano --passes 2
  prefstream train pm --stage finetune --init pm-pmp@latest --passes 4
  prefstream train pm --stage pmp --from-lake ./lake/pairs --objective ranked --name pm-ranked`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.lrSet = cmd.Flags().Changed("lr")
			return runTrainPM(cmd.Context(), g, cmd.OutOrStdout(), f)
		},
	}
	f.src.register(cmd)
	cmd.Flags().StringVar(&f.stage, "stage", "pmp", "pmp (proxy pairs) or finetune (human rankings)")
	cmd.Flags().StringVar(&f.name, "name", "", "model name in the registry (default pm-<stage>)")
	cmd.Flags().StringVar(&f.run, "run", "", "run id; a restart with the same name and run resumes (default: the name)")
	cmd.Flags().StringVar(&f.init, "init", "", "finetune: the checkpoint to start from, NAME@VERSION")
	cmd.Flags().StringVar(&f.tokenizerRef, "tokenizer", "tokenizer", "tokenizer in the registry for a fresh model")
	cmd.Flags().IntVar(&f.vocab, "vocab", 4096, "vocabulary size when the tokenizer must be trained first")
	cmd.Flags().StringVar(&f.preset, "preset", "nano", "architecture of a fresh model: "+strings.Join(trainer.PresetNames(), ", "))
	cmd.Flags().StringVar(&f.objective, "objective", "", "ranked, binarized, discrimination or imitation (default binarized for pmp, ranked for finetune)")
	cmd.Flags().IntVar(&f.batch, "batch", 16, "pairs per step")
	cmd.Flags().Float64Var(&f.lr, "lr", 1e-3, "base learning rate (finetune from a checkpoint uses 0.1x unless --lr is given)")
	cmd.Flags().IntVar(&f.steps, "steps", 0, "stop after N steps (0: after --passes passes)")
	cmd.Flags().IntVar(&f.passes, "passes", 1, "passes over the data")
	cmd.Flags().IntVar(&f.window, "window", 0, "pairs shuffled together (default 64 batches)")
	cmd.Flags().IntVar(&f.evalPairs, "eval-pairs", 512, "held-out pairs (test split) to evaluate on")
	cmd.Flags().IntVar(&f.evalEvery, "eval-every", 100, "steps between evaluations")
	cmd.Flags().IntVar(&f.checkpointEvery, "checkpoint-every", 200, "steps between checkpoints")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed of the initial weights and the shuffling")
	return cmd
}

func runTrainPM(ctx context.Context, g *globals, out io.Writer, f trainPMFlags) error {
	if f.stage != "pmp" && f.stage != "finetune" && f.stage != "sft" {
		return fmt.Errorf("--stage %q: want pmp or finetune", f.stage)
	}
	if f.objective == "" {
		f.objective = map[string]string{"pmp": "binarized", "finetune": "ranked", "sft": "imitation"}[f.stage]
	}
	obj, err := trainer.ParseObjective(f.objective)
	if err != nil {
		return err
	}
	if f.name == "" {
		f.name = "pm-" + f.stage
		if f.stage == "sft" {
			f.name = "sft"
		}
	}
	if err := registry.ValidName(f.name); err != nil {
		return err
	}
	b, err := g.connect(ctx, "trainer")
	if err != nil {
		return err
	}
	defer b.Close()
	if err := g.serve(ctx); err != nil {
		return err
	}
	reg, err := registry.Open(ctx, b.JS, b.Replicas)
	if err != nil {
		return err
	}
	src := f.src.open(b, f.stage == "finetune")
	lr := f.lr
	var init *trainer.Checkpoint
	var tok *tokenizer.Tokenizer
	if f.init != "" {
		var e registry.Entry
		if init, e, err = trainer.LoadCheckpoint(ctx, reg, f.init); err != nil {
			return fmt.Errorf("--init %s: %w", f.init, err)
		}
		f.init = e.Ref()
		if !f.lrSet {
			lr = f.lr / 10
		}
	} else {
		if tok, err = trainer.LoadTokenizer(ctx, reg, f.tokenizerRef); errors.Is(err, registry.ErrNotFound) {
			g.log.Info("no tokenizer in the registry: training one on the data", zap.String("name", f.tokenizerRef), zap.Int("vocab", f.vocab))
			if tok, err = trainTokenizer(ctx, src, f.vocab, 8<<20); err != nil {
				return err
			}
			if _, err = trainer.SaveTokenizer(ctx, reg, f.tokenizerRef, tok, nil); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
	c, err := trainer.Preset(f.preset, obj.Kind(), 0)
	if err != nil {
		return err
	}
	log := g.log
	opts := trainer.RunOptions{Name: f.name, Run: f.run, Stage: f.stage, Objective: obj, Batch: f.batch, LR: lr,
		Steps: f.steps, Passes: f.passes, Window: f.window, EvalPairs: f.evalPairs, EvalEvery: f.evalEvery,
		CheckpointEvery: f.checkpointEvery, Seed: f.seed, Init: f.init,
		Log: func(p trainer.Progress) { logProgress(log, f.name, p) }}
	tr, err := trainer.Start(ctx, opts, src, &trainer.RegistryStore{Registry: reg}, init, c, tok)
	if err != nil {
		return err
	}
	if tr.State().Finished {
		fmt.Fprintf(out, "%s: run %s already finished at step %d\n", f.name, tr.State().Run, tr.State().Step)
		return nil
	}
	if err := tr.LoadEvalSet(ctx); err != nil {
		return err
	}
	m := tr.Model()
	log.Info("training", zap.String("model", f.name), zap.String("stage", f.stage), zap.String("objective", string(obj)),
		zap.String("preset", m.Config.Preset), zap.Int("params", m.Params.Count()), zap.String("tokenizer", m.Tokenizer),
		zap.String("data", src.String()), zap.Float64("lr", lr), zap.String("blas", nn.BLAS))
	if err := tr.Train(ctx); err != nil {
		return err
	}
	e, err := reg.Resolve(ctx, f.name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d steps, %d pairs; held-out accuracy %.3f, loss %.3f, ECE %.3f\n",
		e.Ref(), tr.State().Step, tr.State().Pairs, e.Metrics["eval_accuracy"], e.Metrics["eval_loss"], e.Metrics["eval_ece"])
	return nil
}

func logProgress(log *zap.Logger, name string, p trainer.Progress) {
	fields := []zap.Field{zap.String("model", name), zap.Int("step", p.Step), zap.Int64("pairs", p.Pairs)}
	if p.Loss != 0 {
		fields = append(fields, zap.Float64("train_loss", p.Loss))
	}
	if p.Eval != nil {
		fields = append(fields, zap.Float64("eval_accuracy", p.Eval.Accuracy), zap.Float64("eval_loss", p.Eval.Loss), zap.Float64("eval_ece", p.Eval.ECE))
	}
	if p.Version > 0 {
		fields = append(fields, zap.Int("version", p.Version))
	}
	log.Info(p.Event, fields...)
}
