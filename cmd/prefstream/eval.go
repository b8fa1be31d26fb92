package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"gonum.org/v1/gonum/stat"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/calibration"
	"github.com/prefstream/prefstream/internal/plot"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
)

func newEvalCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "eval", Short: "Evaluate preference models: accuracy, calibration, the PMP transfer experiment"}
	cmd.AddCommand(newEvalPMCmd(g), newEvalTransferCmd(g))
	return cmd
}

type evalPMFlags struct {
	model, data, split, out string
	limit                   int
}

func newEvalPMCmd(g *globals) *cobra.Command {
	var f evalPMFlags
	cmd := &cobra.Command{
		Use:   "pm",
		Short: "Pairwise accuracy, loss and calibration of a preference model on a lake folder of pairs or rankings",
		Long: `Scores both sides of every pair (rankings give their k(k-1)/2 pairs) of the chosen split and
reports pairwise accuracy (a tie counts half), the mean loss log(1+exp(-margin)), and the
expected calibration error of P(chosen) = sigmoid(r_chosen - r_rejected) (top-label, 10 bins).
Writes reliability.png (accuracy against confidence per bin) and scores.png (histograms of
chosen and rejected scores) to --out. Memory stays bounded whatever the data size.`,
		Example: `  prefstream eval pm --model pm-finetune@latest --data ./lake/rankings
  prefstream eval pm --model pm-pmp@3 --data ./lake/pairs/source=stackexchange --split all --limit 5000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvalPM(cmd.Context(), g, cmd.OutOrStdout(), f)
		},
	}
	cmd.Flags().StringVar(&f.model, "model", "", "the model, NAME@VERSION (required)")
	cmd.Flags().StringVar(&f.data, "data", "", "lake folder of pairs or rankings, or stream:pairs / stream:rankings (required)")
	cmd.Flags().StringVar(&f.split, "split", "test", "test, train or all")
	cmd.Flags().StringVar(&f.out, "out", "", "folder for the PNG plots (default eval-<name>-<version>)")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "evaluate at most N pairs (0: all)")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("data")
	return cmd
}

// maxPlottedScores bounds the scores kept for the histogram.
const maxPlottedScores = 200_000

func runEvalPM(ctx context.Context, g *globals, out io.Writer, f evalPMFlags) error {
	if f.split != "test" && f.split != "train" && f.split != "all" {
		return fmt.Errorf("--split %q: want test, train or all", f.split)
	}
	reg, done, err := g.openRegistry(ctx)
	if err != nil {
		return err
	}
	defer done()
	ck, e, err := trainer.LoadCheckpoint(ctx, reg, f.model)
	if err != nil {
		return err
	}
	scorer, err := trainer.NewScorer(ck.Model, ck.Tok)
	if err != nil {
		return err
	}
	acc, err := calibration.NewAccumulator(calibration.Config{Bins: 10})
	if err != nil {
		return err
	}
	var chosen, rejected []float64
	var batch []schemas.Pair
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		prompts, responses := make([]string, 0, 2*len(batch)), make([]string, 0, 2*len(batch))
		for _, p := range batch {
			prompts = append(prompts, p.Prompt, p.Prompt)
			responses = append(responses, p.Chosen, p.Rejected)
		}
		scores, err := scorer.Score(prompts, responses)
		if err != nil {
			return err
		}
		for i := range batch {
			acc.Add(float64(scores[2*i] - scores[2*i+1]))
			if len(chosen) < maxPlottedScores {
				chosen, rejected = append(chosen, float64(scores[2*i])), append(rejected, float64(scores[2*i+1]))
			}
		}
		batch = batch[:0]
		return nil
	}
	var src trainer.Source = &trainer.LakeSource{Dir: f.data}
	if stream, ok := strings.CutPrefix(f.data, "stream:"); ok {
		b, err := g.connect(ctx, "trainer")
		if err != nil {
			return err
		}
		defer b.Close()
		switch stream {
		case "pairs":
			src = &trainer.StreamSource{JS: b.JS, Stream: bus.StreamPairs, Subject: "pairs.>"}
		case "rankings":
			src = &trainer.StreamSource{JS: b.JS, Stream: bus.StreamRankings, Subject: "rankings.>"}
		default:
			return fmt.Errorf("--data %s: want stream:pairs or stream:rankings", f.data)
		}
	}
	n := 0
	err = src.Each(ctx, trainer.Position{}, func(p schemas.Pair, _ trainer.Position) error {
		if f.split != "all" && p.Split != f.split {
			return nil
		}
		if f.limit > 0 && n >= f.limit {
			return errSampleFull
		}
		n++
		batch = append(batch, p)
		if len(batch) == 256 {
			return flush()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSampleFull) {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	sum := acc.Summary()
	if sum.Pairs == 0 {
		return fmt.Errorf("no %s pairs in %s", f.split, f.data)
	}
	dir := f.out
	if dir == "" {
		dir = fmt.Sprintf("eval-%s-%d", e.Name, e.Version)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rel, hist := filepath.Join(dir, "reliability.png"), filepath.Join(dir, "scores.png")
	if err := plot.Reliability(rel, e.Ref()+" on "+strings.TrimPrefix(filepath.Base(f.data), "stream:"), sum.Bins); err != nil {
		return err
	}
	if err := plot.Histogram(hist, e.Ref()+" scores", plot.HistogramSeries{Name: "chosen", Values: chosen},
		plot.HistogramSeries{Name: "rejected", Values: rejected}); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s on %s (%s split): %d pairs, accuracy %.4f, loss %.4f, ECE %.4f\n", e.Ref(), f.data, f.split, sum.Pairs, sum.Accuracy, sum.Loss, sum.ECE)
	if sum.NonFinite > 0 {
		fmt.Fprintf(out, "  %d pairs had a non-finite score and are left out\n", sum.NonFinite)
	}
	fmt.Fprintf(out, "  plots: %s, %s\n", rel, hist)
	return nil
}

type evalTransferFlags struct {
	pmp, rankings, out string
	sizes              []int
	seeds              int
	batch, passes      int
	lr, scratchLR      float64
	evalPairs          int
}

func newEvalTransferCmd(g *globals) *cobra.Command {
	var f evalTransferFlags
	cmd := &cobra.Command{
		Use:   "pmp-transfer",
		Short: "Fine-tune on N ranking pairs from scratch and from a PMP checkpoint; table and plot of held-out accuracy against N",
		Long: `The paper's sample-efficiency experiment, in shape: for each N in --sizes and each of --seeds
seeds, fine-tunes with the ranked objective on the first N training pairs of the rankings (a
lake folder, or the RANKINGS stream) both from scratch (same architecture and tokenizer) and from the PMP
checkpoint, with the same learning rate (--lr, 0.1x the pre-training rate by default; the
scratch arm's own with --scratch-lr), seeds and --passes passes, and measures pairwise accuracy on the held-out
rankings (test split). Prints the table (mean and spread over seeds) and writes transfer.png.`,
		Example: `  prefstream eval pmp-transfer --pmp pm-pmp@latest --rankings ./lake/rankings`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvalTransfer(cmd.Context(), g, cmd.OutOrStdout(), f)
		},
	}
	cmd.Flags().StringVar(&f.pmp, "pmp", "pm-pmp", "the PMP checkpoint, NAME@VERSION")
	cmd.Flags().StringVar(&f.rankings, "rankings", "", "lake folder of rankings (default: the RANKINGS stream)")
	cmd.Flags().IntSliceVar(&f.sizes, "sizes", []int{100, 300, 1000, 3000}, "numbers of fine-tuning pairs")
	cmd.Flags().IntVar(&f.seeds, "seeds", 3, "seeds per size")
	cmd.Flags().IntVar(&f.batch, "batch", 16, "pairs per step")
	cmd.Flags().IntVar(&f.passes, "passes", 3, "passes over the N pairs")
	cmd.Flags().Float64Var(&f.lr, "lr", 1e-4, "fine-tuning learning rate of both arms")
	cmd.Flags().Float64Var(&f.scratchLR, "scratch-lr", 0, "learning rate of the scratch arm (default: --lr)")
	cmd.Flags().IntVar(&f.evalPairs, "eval-pairs", 1000, "held-out pairs")
	cmd.Flags().StringVar(&f.out, "out", ".", "folder for transfer.png")
	return cmd
}

func runEvalTransfer(ctx context.Context, g *globals, out io.Writer, f evalTransferFlags) error {
	if len(f.sizes) == 0 || f.seeds < 1 {
		return errors.New("--sizes and --seeds must not be empty")
	}
	reg, done, err := g.openRegistry(ctx)
	if err != nil {
		return err
	}
	defer done()
	pmp, e, err := trainer.LoadCheckpoint(ctx, reg, f.pmp)
	if err != nil {
		return err
	}
	if pmp.Model.Config.Kind != trainer.KindPM {
		return fmt.Errorf("%s is a %s, not a preference model", e.Ref(), pmp.Model.Config.Kind)
	}
	maxN := slices.Max(f.sizes)
	var train, eval []schemas.Pair
	var src trainer.Source = &trainer.LakeSource{Dir: f.rankings}
	if f.rankings == "" {
		b, err := g.connect(ctx, "trainer")
		if err != nil {
			return err
		}
		defer b.Close()
		src = &trainer.StreamSource{JS: b.JS, Stream: bus.StreamRankings, Subject: "rankings.>"}
	}
	err = src.Each(ctx, trainer.Position{}, func(p schemas.Pair, _ trainer.Position) error {
		switch {
		case p.Split == schemas.SplitTest && len(eval) < f.evalPairs:
			eval = append(eval, p)
		case p.Split != schemas.SplitTest && len(train) < maxN:
			train = append(train, p)
		}
		if len(eval) >= f.evalPairs && len(train) >= maxN {
			return errSampleFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSampleFull) {
		return err
	}
	if len(train) < maxN {
		return fmt.Errorf("%s holds %d training pairs; --sizes asks for %d", src, len(train), maxN)
	}
	seeds := make([]uint64, f.seeds)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	log := g.log
	points, err := trainer.Transfer(ctx, pmp, train, eval, trainer.TransferOptions{Sizes: f.sizes, Seeds: seeds, Batch: f.batch,
		Passes: f.passes, LR: f.lr, ScratchLR: f.scratchLR, Log: func(p trainer.TransferPoint) {
			log.Info("fine-tuned", zap.Int("n", p.N), zap.Uint64("seed", p.Seed), zap.Bool("from_pmp", p.FromPMP), zap.Float64("accuracy", p.Accuracy))
		}})
	if err != nil {
		return err
	}
	table := summarizeTransfer(points, f.sizes)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "held-out accuracy on %d ranking pairs, PMP %s, %d seeds (mean ± sd)\n", len(eval), e.Ref(), f.seeds)
	fmt.Fprintln(tw, "N\tfrom scratch\tfrom PMP\tgain\t")
	for _, r := range table {
		fmt.Fprintf(tw, "%d\t%.3f ± %.3f\t%.3f ± %.3f\t%+.3f\t\n", r.n, r.scratch.mean, r.scratch.sd, r.pmp.mean, r.pmp.sd, r.pmp.mean-r.scratch.mean)
	}
	tw.Flush()
	path := filepath.Join(f.out, "transfer.png")
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	var xs []float64
	scratch, pmpS := plot.Series{Name: "from scratch", Markers: true}, plot.Series{Name: "from PMP " + e.Ref(), Markers: true}
	for _, r := range table {
		if r.n == 0 {
			continue // the table's "before fine-tuning" row; a log axis has no 0
		}
		xs = append(xs, float64(r.n))
		scratch.Y, scratch.YErr = append(scratch.Y, r.scratch.mean), append(scratch.YErr, r.scratch.sd)
		pmpS.Y, pmpS.YErr = append(pmpS.Y, r.pmp.mean), append(pmpS.YErr, r.pmp.sd)
	}
	scratch.X, pmpS.X = xs, xs
	if len(xs) == 0 {
		return nil
	}
	if err := plot.Panels(path, "PMP transfer: held-out accuracy after fine-tuning on N pairs", plot.Panel{
		XLabel: "fine-tuning pairs N", YLabel: "held-out pairwise accuracy", LogX: true, Series: []plot.Series{scratch, pmpS}}); err != nil {
		return err
	}
	fmt.Fprintf(out, "plot: %s\n", path)
	return nil
}

type meanSD struct{ mean, sd float64 }

type transferRow struct {
	n            int
	scratch, pmp meanSD
}

func summarizeTransfer(points []trainer.TransferPoint, sizes []int) []transferRow {
	var rows []transferRow
	for _, n := range sizes {
		var s, p []float64
		for _, pt := range points {
			if pt.N != n {
				continue
			}
			if pt.FromPMP {
				p = append(p, pt.Accuracy)
			} else {
				s = append(s, pt.Accuracy)
			}
		}
		rows = append(rows, transferRow{n: n, scratch: stats(s), pmp: stats(p)})
	}
	return rows
}

// stats is the mean and the sample standard deviation (0 for one value).
func stats(xs []float64) meanSD {
	switch len(xs) {
	case 0:
		return meanSD{}
	case 1:
		return meanSD{xs[0], 0}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	return meanSD{mean, sd}
}
