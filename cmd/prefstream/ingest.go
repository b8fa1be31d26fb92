package main

import (
	"errors"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func newIngestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "ingest", Short: "Stream dumps into JetStream as Arrow batches of documents"}
	var quiet bool
	se := &cobra.Command{
		Use:   "stackexchange PATH...",
		Short: "Ingest Stack Exchange sites: a site .7z, an extracted site folder, or a Posts.xml",
		Long: `Publishes the questions and answers of each site to raw.stackexchange.<site>.<bucket>, using
Votes.xml (when present beside Posts.xml) to count up-votes. Memory stays constant whatever the
dump size. A killed ingest run again resumes from its last checkpoint; the server drops batches
sent twice. Malformed rows go to dlq.ingest.stackexchange with the reason, file and byte offset.
A truncated file is reported with its byte offset after what was read before it is published.
When all of a site is published, one grouping job per bucket is queued for featurize.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			for _, path := range args {
				if _, err := ingestWithProgress(ctx, g, b, input{"stackexchange", path}, ingestOptions{}, quiet); err != nil {
					g.log.Error("ingest failed", zap.String("input", path), zap.Error(err))
					errs = errors.Join(errs, err)
				}
			}
			return errs
		},
	}
	se.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	cmd.AddCommand(se)
	return cmd
}
