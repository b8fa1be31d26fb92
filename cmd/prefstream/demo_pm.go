package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/prefstream/prefstream/ingest/rankings"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/internal/synth"
	"github.com/prefstream/prefstream/trainer"
)

// demoPMOptions size the preference-model part of the demo.
type demoPMOptions struct {
	rankings     int
	pmpObjective string
	pmpSteps     int
	sizes        []int
	seeds        int
	finetune     int
}

// demoPreferenceModel runs, on the demo's embedded server: synthetic human rankings into
// RANKINGS, the tokenizer, PMP on the lake's proxy pairs, the PMP transfer experiment, the
// fine-tuned PM, and its evaluation.
func demoPreferenceModel(ctx context.Context, g *globals, out io.Writer, dir, lakeDir string, o demoPMOptions) error {
	dumps := filepath.Join(dir, "dumps")
	path := filepath.Join(dumps, "rankings.jsonl")
	fmt.Fprintf(out, "\n== 5. human rankings: %d synthetic rankings of 4 answers, ordered by hidden raters (not the votes' criterion)\n", o.rankings)
	rs, err := synth.Rankings(path, synth.RankingsOptions{N: o.rankings, K: 4, Seed: 2})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s: the vote signal agrees with the raters on %.0f%% of pairs\n", path, 100*rs.Agreement)
	b, err := g.connect(ctx, "ingest")
	if err != nil {
		return err
	}
	res, err := rankings.Ingest(ctx, b, []string{path}, rankings.Options{Format: rankings.FormatJSONL, Source: "synthetic"})
	b.Close()
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Fprintf(out, "   ingested %d rankings (%d pairs) to %s\n", r.Counts.Rankings, r.Counts.Pairs, r.Subject)
	}

	fmt.Fprintln(out, "\n== 6. tokenizer: byte-level BPE trained on the lake's text")
	reg, done, err := g.openRegistry(ctx)
	if err != nil {
		return err
	}
	tok, err := trainTokenizer(ctx, &trainer.LakeSource{Dir: filepath.Join(lakeDir, "pairs")}, 4096, 4<<20)
	if err != nil {
		done()
		return err
	}
	e, err := trainer.SaveTokenizer(ctx, reg, "tokenizer", tok, nil)
	done()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s: %d tokens, version %s\n", e.Ref(), tok.Vocab(), tok.Version())

	fmt.Fprintf(out, "\n== 7. preference-model pre-training (PMP, %s) on the lake's proxy pairs, nano preset, %d steps\n", o.pmpObjective, o.pmpSteps)
	pmp := trainPMFlags{stage: "pmp", name: "pm-pmp", objective: o.pmpObjective, tokenizerRef: "tokenizer", preset: "nano",
		batch: 16, lr: 1e-3, steps: o.pmpSteps, passes: 4, evalPairs: 512, evalEvery: 200, checkpointEvery: 200, seed: 1, lrSet: true}
	pmp.src.fromLake = filepath.Join(lakeDir, "pairs")
	if err := runTrainPM(ctx, g, out, pmp); err != nil {
		return err
	}

	reg, done, err = g.openRegistry(ctx)
	if err != nil {
		return err
	}
	best, err := reg.Resolve(ctx, "pm-pmp@best")
	done()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the PMP model used from here on: %s, the version with the lowest held-out loss (%.3f)\n", best.Ref(), best.Metrics[registry.MetricBest])

	fmt.Fprintln(out, "\n== 8. the PMP transfer: fine-tune on N human-ranking pairs from scratch and from PMP (N = 0: before fine-tuning)")
	if err := runEvalTransfer(ctx, g, out, evalTransferFlags{pmp: "pm-pmp@best", sizes: o.sizes, seeds: o.seeds, batch: 16, passes: 3,
		lr: 1e-4, evalPairs: 1000, out: dir}); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== 9. fine-tuning the PMP model on the rankings (%d steps), then its evaluation on held-out rankings\n", o.finetune)
	ft := trainPMFlags{stage: "finetune", name: "pm-finetune", init: "pm-pmp@best", objective: "ranked", preset: "nano", batch: 16,
		lr: 1e-3, steps: o.finetune, passes: 10, evalPairs: 512, evalEvery: 100, checkpointEvery: 200, seed: 1}
	if err := runTrainPM(ctx, g, out, ft); err != nil {
		return err
	}
	return runEvalPM(ctx, g, out, evalPMFlags{model: "pm-finetune", data: "stream:rankings", split: "test", out: filepath.Join(dir, "eval-pm-finetune")})
}
