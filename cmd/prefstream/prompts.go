package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/ingest/prompts"
	"github.com/prefstream/prefstream/internal/bus"
)

func newIngestPromptsCmd(g *globals) *cobra.Command {
	var format, source, fromLake string
	var quiet bool
	var checkpointBytes sizeFlag
	cmd := &cobra.Command{
		Use:   "prompts [FILE...] [--from-lake DIR]",
		Short: "Ingest prompts for rollout workers: JSONL or plain text files, or the prompts of the pairs in the lake",
		Long: `Publishes prompts to prompts.<source> (stream PROMPTS) as Arrow batches of schema prompt/v1.

--format jsonl: one object per line, {"prompt": "..."} or {"text": "..."}, with an optional
  "id" (a string or an integer; default: a hash of the source and the text). Other fields are
  ignored.
--format lines: one prompt per non-blank line, without surrounding white space.
--format auto (the default): jsonl when a file's first non-blank line starts with '{', else lines.

Files may be plain, gzip or zstd. A line that is not a prompt (bad JSON, no or an empty prompt,
a bad id, invalid UTF-8) goes to dlq.ingest.prompts with the reason, the file, its byte offset
and line number; the other lines go through. The source (the subject's last token) is --source,
or else the file's base name without extensions.

--from-lake DIR publishes, to prompts.lake, each distinct prompt of the pairs in a lake (DIR is
the lake root, its pairs dataset or one partition; a rankings dataset works too), the first
time it appears, keeping the split of its pair, so that the prompts of held-out threads stay
held out. Memory: 11 to 21 bytes per distinct prompt.

Batches carry deterministic ids and the position is checkpointed (every --checkpoint-bytes):
an interrupted ingest run again resumes where it stopped, and an input already ingested into
a source is not read again; the server drops anything sent twice.`,
		Example: `  prefstream ingest prompts ./prompts.jsonl
  prefstream ingest prompts --format lines --source eval ./questions.txt.gz
  prefstream ingest prompts --from-lake ./lake`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && fromLake == "" {
				return errors.New("give FILE arguments or --from-lake DIR")
			}
			f, err := prompts.ParseFormat(format)
			if err != nil {
				return err
			}
			if source != "" {
				if len(args) == 0 {
					return errors.New("--source names the source of FILE arguments; prompts from the lake are published to prompts.lake")
				}
				if err := prompts.CheckSource(source); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			b, err := g.connect(ctx, "ingest")
			if err != nil {
				return err
			}
			defer b.Close()
			o := prompts.Options{Format: f, Source: source, CheckpointBytes: int64(checkpointBytes)}
			return ingestPrompts(ctx, cmd.OutOrStdout(), g, b, args, fromLake, o, quiet)
		},
	}
	cmd.Flags().StringVar(&format, "format", string(prompts.FormatAuto), "input format: auto, jsonl or lines")
	cmd.Flags().StringVar(&source, "source", "", "source name of the files: letters, digits, '-' and '_' (default: each file's base name)")
	cmd.Flags().StringVar(&fromLake, "from-lake", "", "also publish the distinct prompts of the pairs in this lake (root, pairs dataset or partition)")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	checkpointBytes = 32 << 20
	cmd.Flags().Var(&checkpointBytes, "checkpoint-bytes", "input read between checkpoints")
	return cmd
}

// ingestPrompts ingests each file with a progress bar, then the lake, printing a summary line for
// each (and a total for several), and returns their errors.
func ingestPrompts(ctx context.Context, out io.Writer, g *globals, b *bus.Bus, paths []string, fromLake string, o prompts.Options, quiet bool) error {
	var total prompts.Counts
	var errs error
	inputs := 0
	dlq := bus.DeadLetterSubject("ingest", prompts.DeadLetterSource)
	for _, path := range paths {
		bar := newProgress("prompts "+path, quiet)
		fo := o
		fo.Progress = bar.update
		results, err := prompts.Ingest(ctx, b, []string{path}, fo)
		bar.finish()
		if err != nil {
			g.log.Error("ingest failed", zap.String("file", path), zap.Error(err))
			errs = errors.Join(errs, err)
		}
		for _, res := range results {
			inputs++
			c := res.Counts
			total.Add(c)
			if err != nil {
				fmt.Fprintf(out, "%s: failed after %d prompts and %d dead letters: %v\n", res.File, c.Prompts, c.DeadLetters, err)
				continue
			}
			status := ""
			switch {
			case res.Skipped:
				status = " (already ingested; not read again)"
			case c.Prompts == 0 && c.DeadLetters > 0:
				status = " (no line was a prompt: is --format right?)"
			}
			fmt.Fprintf(out, "%s: %d prompts (%s) -> %s; %d dead letters -> %s%s\n", res.File, c.Prompts, res.Format, res.Subject, c.DeadLetters, dlq, status)
		}
		if ctx.Err() != nil {
			return errs
		}
	}
	if fromLake != "" {
		inputs++
		res, err := prompts.FromLake(ctx, b, fromLake, o)
		c := res.Counts
		total.Add(c)
		if err != nil {
			g.log.Error("ingest failed", zap.String("lake", fromLake), zap.Error(err))
			fmt.Fprintf(out, "%s: failed after %d prompts: %v\n", fromLake, c.Prompts, err)
			errs = errors.Join(errs, err)
		} else {
			status := ""
			if res.Skipped {
				status = " (already ingested; not read again)"
			}
			fmt.Fprintf(out, "%s: %d distinct prompts of %d rows (%d repeated, %d without a prompt) -> %s; %d dead letters -> %s%s\n",
				fromLake, c.Prompts, c.Lines, c.Repeats, c.Empty, res.Subject, c.DeadLetters, dlq, status)
		}
	}
	if inputs > 1 {
		fmt.Fprintf(out, "total: %d prompts, %d dead letters\n", total.Prompts, total.DeadLetters)
	}
	return errs
}
