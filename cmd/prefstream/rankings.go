package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/ingest/rankings"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/sink"
	"github.com/prefstream/prefstream/internal/synth"
)

func newIngestRankingsCmd(g *globals) *cobra.Command {
	var format, source string
	var quiet bool
	var checkpointBytes sizeFlag
	cmd := &cobra.Command{
		Use:   "rankings FILE...",
		Short: "Ingest human rankings: JSONL rankings of k responses, or HH-RLHF comparisons",
		Long: `Publishes human rankings to rankings.<source> (stream RANKINGS) as Arrow batches of
schema ranking/v1. A ranking of k responses implies k(k-1)/2 preference pairs.

--format jsonl (one object per line):
  {"id": "r1", "prompt": "...", "responses": ["...", "...", ...], "ranking": [2, 0, 1, ...]}
  "ranking" (or "order") lists response indices, best first, each exactly once. Instead of it,
  "scores": [...] (higher is better) gives the order, and equal scores are ties that imply no
  pair. Optional: "id" (default: a hash of the content), "annotator", "created" (Unix seconds
  or RFC 3339). An empty or missing prompt is allowed; an empty response is not.

--format hh-rlhf (Anthropic HH-RLHF lines):
  {"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": "\n\nHuman: ...\n\nAssistant: ..."}
  The prompt is the transcript both share up to their last "\n\nAssistant:"; the two replies
  after it are the responses, chosen first.

Files may be plain, gzip or zstd. A line that is not a valid ranking (bad JSON, an index
duplicated, missing or out of range, fewer than two responses, an empty or duplicated
response, HH-RLHF transcripts that diverge before their last assistant turn) goes to
dlq.ingest.rankings with the reason, the file, its byte offset and line number; the other
lines go through. A file that cannot be read fails with an error naming it.

Batches carry deterministic ids and the position is checkpointed (every --checkpoint-bytes):
an interrupted ingest run again resumes where it stopped, and a file already ingested into
a source is not read again; the server drops anything sent twice.

The source (the subject's last token and the lake partition) is --source, or "hh-rlhf" for
that format, or else the file's base name without extensions.`,
		Example: `  prefstream gen rankings --out ./dumps/synthetic.jsonl --n 2000
  prefstream ingest rankings ./dumps/synthetic.jsonl
  prefstream ingest rankings --format hh-rlhf helpful-base/train.jsonl.gz harmless-base/train.jsonl.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := rankings.ParseFormat(format)
			if err != nil {
				return err
			}
			if source != "" {
				if err := rankings.CheckSource(source); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			b, err := g.connect(ctx, "ingest")
			if err != nil {
				return err
			}
			defer b.Close()
			return ingestRankings(ctx, cmd, g, b, args, rankings.Options{Format: f, Source: source, CheckpointBytes: int64(checkpointBytes)}, quiet)
		},
	}
	cmd.Flags().StringVar(&format, "format", string(rankings.FormatJSONL), "input format: jsonl or hh-rlhf")
	cmd.Flags().StringVar(&source, "source", "", `source name: letters, digits, '-' and '_' (default: "hh-rlhf" for that format, else the file's base name)`)
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	checkpointBytes = 32 << 20
	cmd.Flags().Var(&checkpointBytes, "checkpoint-bytes", "input read between checkpoints")
	return cmd
}

// ingestRankings ingests each file with a progress bar, prints a summary line per file (and a
// total for several), and returns the files' errors.
func ingestRankings(ctx context.Context, cmd *cobra.Command, g *globals, b *bus.Bus, paths []string, o rankings.Options, quiet bool) error {
	out := cmd.OutOrStdout()
	var total rankings.Counts
	var errs error
	for _, path := range paths {
		bar := newProgress("rankings "+path, quiet)
		fo := o
		fo.Progress = bar.update
		results, err := rankings.Ingest(ctx, b, []string{path}, fo)
		bar.finish()
		if err != nil {
			g.log.Error("ingest failed", zap.String("file", path), zap.Error(err))
			errs = errors.Join(errs, err)
		}
		for _, res := range results {
			c := res.Counts
			total.Rankings, total.Pairs, total.DeadLetters = total.Rankings+c.Rankings, total.Pairs+c.Pairs, total.DeadLetters+c.DeadLetters
			if err != nil {
				fmt.Fprintf(out, "%s: failed after %d rankings and %d dead letters: %v\n", res.File, c.Rankings, c.DeadLetters, err)
				continue
			}
			status := ""
			switch {
			case res.Skipped:
				status = " (already ingested; not read again)"
			case c.Rankings == 0 && c.DeadLetters > 0:
				status = " (no line was a valid ranking: is --format right?)"
			}
			fmt.Fprintf(out, "%s: %d rankings, %d pairs implied -> %s; %d dead letters -> %s%s\n", res.File, c.Rankings, c.Pairs,
				res.Subject, c.DeadLetters, bus.DeadLetterSubject("ingest", rankings.DeadLetterSource), status)
		}
	}
	if len(paths) > 1 {
		fmt.Fprintf(out, "total: %d rankings, %d pairs implied, %d dead letters\n", total.Rankings, total.Pairs, total.DeadLetters)
	}
	return errs
}

func newGenRankingsCmd() *cobra.Command {
	var o synth.RankingsOptions
	var out string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "rankings",
		Short: "Generate synthetic human rankings (JSONL or HH-RLHF) of answers to Stack Exchange-like questions",
		Long: `Writes --n rankings of --k answers each. The prompts are questions like those of
'prefstream gen stackexchange'; each answer has a hidden quality drawn the same way. Votes on
the generated sites follow that quality's vote signal; the simulated raters order answers by
a related but different criterion (clarity weighs more, relevance less, confident mistakes
cost more than hedged ones, padding is penalised, plus a little noise). So a preference model
trained on the generated dumps' pairs ranks these answers well above chance, and fine-tuning
on the rankings teaches it more. The summary reports how often the vote signal agrees with
the raters. The same options always give the same bytes.

--format jsonl writes one ranking per line, {"id","prompt","responses","ranking","annotator",
"created"}; --format hh-rlhf writes the k(k-1)/2 comparisons of each ranking as HH-RLHF lines.`,
		Example: `  prefstream gen rankings --out ./dumps/synthetic.jsonl --n 2000 --seed 7
  prefstream gen rankings --out ./dumps/hh.jsonl --n 500 --format hh-rlhf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			bar := newProgress("generating rankings", quiet)
			o.Progress = func(n int64) { bar.update(n, -1) }
			st, err := synth.Rankings(out, o)
			bar.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d rankings of %d responses (%d pairs) in %d lines, %.1f MB; the vote signal agrees with the raters on %.0f%% of pairs\n",
				st.Rankings, st.K, st.Pairs, st.Lines, float64(st.Bytes)/1e6, 100*st.Agreement)
			return printFiles(cmd, []string{st.File})
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "./dumps/synthetic.jsonl", "output file")
	f.IntVar(&o.N, "n", 1000, "number of rankings (prompts)")
	f.IntVar(&o.K, "k", 4, "responses per ranking (2 to 16)")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed")
	f.StringVar(&o.Format, "format", synth.RankingsJSONL, "output format: jsonl or hh-rlhf")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

// sinkDatasets are the streams `sink parquet` can write to the lake, by dataset name.
var sinkDatasets = map[string]func(context.Context, *bus.Bus, sink.Options) error{
	"pairs":        sink.RunPairs,
	"rankings":     sink.RunRankings,
	"trajectories": sink.RunTrajectories,
}

// runSinks runs the sinks of the named datasets until ctx is done or one of them fails.
func runSinks(ctx context.Context, b *bus.Bus, o sink.Options, datasets []string) error {
	var run []func(context.Context) error
	seen := map[string]bool{}
	for _, name := range datasets {
		name = strings.TrimSpace(name)
		fn, ok := sinkDatasets[name]
		if !ok {
			return fmt.Errorf("--datasets: unknown dataset %q, want pairs, rankings or trajectories", name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		run = append(run, func(ctx context.Context) error { return fn(ctx, b, o) })
	}
	if len(run) == 0 {
		return errors.New("--datasets: none given")
	}
	svc := startServices(ctx, run...)
	select {
	case <-ctx.Done():
	case <-svc.failed:
	}
	return svc.stop()
}
