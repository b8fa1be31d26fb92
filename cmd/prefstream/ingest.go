package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/bus"
)

func newIngestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "ingest", Short: "Stream dumps into JetStream as Arrow batches of documents"}
	cmd.AddCommand(
		newIngestSourceCmd(g, "stackexchange", "Ingest Stack Exchange sites: a site .7z, an extracted site folder, or a Posts.xml",
			`Publishes the questions and answers of each site to raw.stackexchange.<site>.<bucket>, using
Votes.xml (when present beside Posts.xml) to count up-votes.`),
		newIngestSourceCmd(g, "reddit", "Ingest Reddit monthly dumps: RC_YYYY-MM.zst comments, RS_YYYY-MM.zst submissions, or .ndjson",
			`Publishes comments and submissions to raw.reddit.<month>.<bucket>, keyed by thread. The files of
one month given together (RC and RS) are one dump, so featurize pairs each thread with its
submission. zstd frames with windows up to 2 GiB are read; JSON is parsed on both cores.`),
		newIngestSourceCmd(g, "wikipedia", "Ingest MediaWiki history exports (.xml, .xml.bz2 or .7z)",
			`Publishes revisions, page by page in order, to raw.wikipedia.<dump>.0. bzip2 is decoded on both
cores. Only the main namespace by default (--namespaces).`),
		newIngestRankingsCmd(g),
		newIngestPromptsCmd(g),
	)
	return cmd
}

func newIngestSourceCmd(g *globals, source, short, long string) *cobra.Command {
	var quiet bool
	var watch string
	var poll time.Duration
	var o ingestOptions
	cmd := &cobra.Command{
		Use:   source + " [PATH...]",
		Short: short,
		Long: long + `

Memory stays constant whatever the dump size. A killed ingest run again resumes from its last
checkpoint; the server drops batches sent twice. Malformed records go to dlq.ingest.` + source + `
with the reason, file and byte offset; a truncated file is reported with its offset after what
was read before it is published. When a dump is read, its grouping job is queued for featurize.

With --watch DIR it runs until stopped, ingesting every dump file that appears in DIR exactly
once (the checkpoints remember each file; one interrupted midway resumes).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && watch == "" {
				return errors.New("give PATH arguments or --watch DIR")
			}
			ctx := cmd.Context()
			b, err := g.connect(ctx, "ingest")
			if err != nil {
				return err
			}
			defer b.Close()
			if err := g.serve(ctx); err != nil {
				return err
			}
			var errs error
			if len(args) > 0 {
				if _, err := ingestWithProgress(ctx, g, b, source, args, o, quiet); err != nil {
					g.log.Error("ingest failed", zap.String("source", source), zap.Error(err))
					errs = err
				}
			}
			if watch != "" {
				errs = errors.Join(errs, watchDir(ctx, g, b, source, watch, poll, o))
			}
			return errs
		},
	}
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	cmd.Flags().StringVar(&watch, "watch", "", "keep running, ingesting each new dump file that appears in this directory")
	cmd.Flags().DurationVar(&poll, "poll", 2*time.Second, "how often --watch looks at the directory")
	if source == "wikipedia" {
		cmd.Flags().StringVar(&o.namespaces, "namespaces", "0", "namespaces to keep: a list such as 0,4 or all")
	}
	return cmd
}

func watchDir(ctx context.Context, g *globals, b *bus.Bus, source, dir string, poll time.Duration, o ingestOptions) error {
	g.log.Info("watching for dumps", zap.String("source", source), zap.String("dir", dir))
	err := ingest.Watch(ctx, dir, poll, dumpPatterns[source], func(path string) error {
		if _, err := ingestWithProgress(ctx, g, b, source, []string{path}, o, true); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			g.log.Error("ingest failed; watching on", zap.String("file", path), zap.Error(err))
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	return nil
}
