package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/replay"
)

func newReplayCmd(g *globals) *cobra.Command {
	var o replay.Options
	cmd := &cobra.Command{
		Use:   "replay --lake DIR --subject SUBJECT",
		Short: "Republish a lake dataset (pairs, rankings, prompts, trajectories) to a subject, in its original order",
		Long: `Reads a dataset folder of the Parquet lake (LAKE/pairs, LAKE/rankings, LAKE/prompts,
LAKE/trajectories) or one of its partitions (LAKE/pairs/source=stackexchange) and publishes its
rows to SUBJECT as Arrow batches of the dataset's schema, with the Prefstream-Schema header. The
dataset is recognised by its columns.

Order: the parts are replayed in the order of the stream sequences the manifests record for
them (partitions of one dataset share their stream's sequences), each part's rows in file
order, which is their sequence order. Parts whose sequences interleave (the sink commits each
partition on its own) cannot be put back row by row: each is replayed whole, and the summary
counts them.

Each batch's message id names the subject, the part's content hash and its rows, so replaying
the same dataset to the same subject again (with the same --rate and --batch-rows) stores
nothing twice within the stream's duplicate window (1 h).

SUBJECT must belong to a stream, and not to one holding another kind of record: replay pairs
to pairs.<name> (stream PAIRS), rankings to rankings.<name>, and so on. A subject the lake sink
reads (pairs.>, rankings.>) is sunk into the lake again, as partition source=<name>.`,
		Example: `  prefstream replay --lake ./lake/pairs/source=stackexchange --subject pairs.replayed
  prefstream replay --lake ./lake/prompts --subject prompts.eval --rate 50 --limit 1000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			b, err := g.connect(ctx, "replay")
			if err != nil {
				return err
			}
			defer b.Close()
			res, err := replay.Replay(ctx, b, o)
			if err != nil && res.Rows == 0 {
				return err
			}
			out := cmd.OutOrStdout()
			verb := "replayed"
			if err != nil {
				verb = "stopped after"
			}
			parts := "parts"
			if res.Parts == 1 {
				parts = "part"
			}
			fmt.Fprintf(out, "%s %d rows of %s from %d %s of %s to %s (stream %s) in %d batches (%d already there) in %.1f s\n",
				verb, res.Rows, res.Dataset, res.Parts, parts, o.Dir, res.Subject, res.Stream, res.Batches, res.Duplicates, res.Elapsed.Seconds())
			if res.Overlapping > 0 {
				fmt.Fprintf(out, "%d parts interleave in stream sequence with earlier ones: each was replayed whole, in the order of its first sequence\n", res.Overlapping)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "lake", "", "dataset folder (LAKE/pairs) or partition (LAKE/pairs/source=x) to replay")
	f.StringVar(&o.Subject, "subject", "", "subject to publish to, e.g. pairs.replayed")
	f.Float64Var(&o.Rate, "rate", 0, "rows per second (0: as fast as the server takes them)")
	f.Int64Var(&o.Limit, "limit", 0, "stop after this many rows (0: all)")
	f.IntVar(&o.BatchRows, "batch-rows", 0, "rows per batch (default 1000; with --rate, a quarter second's worth)")
	_ = cmd.MarkFlagRequired("lake")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}
