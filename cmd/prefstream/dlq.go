package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

func newDLQCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Look at the dead letters (what a stage could not use, with why), and retry abandoned jobs",
	}
	var scan int
	list := &cobra.Command{
		Use:   "list [SUBJECT]",
		Short: "Dead letters per subject, with their most common reasons",
		Long: `Counts the dead letters on each dlq.<stage>.<source> subject (SUBJECT may use * and >;
default dlq.>) and, over the oldest --scan of them, the reasons they were given.`,
		Example: `  prefstream dlq list
  prefstream dlq list 'dlq.ingest.>'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withBus(cmd.Context(), "dlq", func(b *bus.Bus) error {
				return listDeadLetters(cmd.Context(), cmd.OutOrStdout(), b, subjectArg(args), scan)
			})
		},
	}
	list.Flags().IntVar(&scan, "scan", 10000, "dead letters read for their reasons, oldest first (0: all)")
	var limit int
	show := &cobra.Command{
		Use:     "show [SUBJECT]",
		Short:   "The oldest dead letters: sequence, time, origin, reason, size",
		Example: `  prefstream dlq show dlq.ingest.stackexchange --limit 5`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withBus(cmd.Context(), "dlq", func(b *bus.Bus) error {
				return showDeadLetters(cmd.Context(), cmd.OutOrStdout(), b, subjectArg(args), limit)
			})
		},
	}
	show.Flags().IntVar(&limit, "limit", 20, "dead letters to show (0: all)")
	var dumps []string
	retry := &cobra.Command{
		Use:   "retry-jobs",
		Short: "Put the grouping jobs featurize gave up on back on its work queue",
		Long: `Featurize dead-letters a dump's grouping job after a permanent error or five failed attempts.
Once the cause is fixed (a recipe configured, a disk freed), this puts the jobs back on the
queue for the running featurize services; buckets earlier attempts finished are not paired
again. A pipeline run does this by itself for the dumps it finds already ingested.`,
		Example: `  prefstream --nats nats://10.0.0.5:4222 dlq retry-jobs --dump ai.stackexchange.com`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withBus(cmd.Context(), "dlq", func(b *bus.Bus) error {
				wanted := func(dump string) bool { return len(dumps) == 0 || slices.Contains(dumps, dump) }
				return retryAbandonedJobs(cmd.Context(), g, b, wanted)
			})
		},
	}
	retry.Flags().StringArrayVar(&dumps, "dump", nil, "only this dump's job (repeatable; default: all)")
	cmd.AddCommand(list, show, retry)
	return cmd
}

func subjectArg(args []string) string {
	if len(args) == 0 {
		return bus.AllDeadLetters
	}
	return args[0]
}

func listDeadLetters(ctx context.Context, w io.Writer, b *bus.Bus, subject string, scan int) error {
	counts, err := bus.DeadLetterCounts(ctx, b.JS, subject)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		fmt.Fprintf(w, "no dead letters on %s\n", subject)
		return nil
	}
	reasons := map[string]map[string]int{}
	err = bus.ReadDeadLetters(ctx, b.JS, subject, scan, func(d bus.Dead) error {
		if reasons[d.Subject] == nil {
			reasons[d.Subject] = map[string]int{}
		}
		reasons[d.Subject][d.Reason]++
		return nil
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tCOUNT\tREASONS (most common first)")
	for _, s := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", s, counts[s], commonReasons(reasons[s], 3))
	}
	return tw.Flush()
}

// commonReasons is the n most common reasons with their counts, on one line.
func commonReasons(counts map[string]int, n int) string {
	reasons := slices.Collect(maps.Keys(counts))
	slices.SortFunc(reasons, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, r := range reasons[:min(n, len(reasons))] {
		parts = append(parts, fmt.Sprintf("%dx %s", counts[r], oneLine(r, 100)))
	}
	if len(reasons) > n {
		parts = append(parts, fmt.Sprintf("and %d more", len(reasons)-n))
	}
	return strings.Join(parts, "; ")
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

func showDeadLetters(ctx context.Context, w io.Writer, b *bus.Bus, subject string, limit int) error {
	shown := 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tSUBJECT\tORIGIN\tBYTES\tREASON")
	err := bus.ReadDeadLetters(ctx, b.JS, subject, limit, func(d bus.Dead) error {
		shown++
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", d.Seq, d.Time.UTC().Format("2006-01-02 15:04:05"), d.Subject,
			d.Origin, len(d.Data), oneLine(d.Reason, 200))
		return nil
	})
	if err != nil {
		return err
	}
	if shown == 0 {
		fmt.Fprintf(w, "no dead letters on %s\n", subject)
		return nil
	}
	return tw.Flush()
}

// deadJobsSubject is where featurize dead-letters the grouping jobs it gives up on.
var deadJobsSubject = bus.DeadLetterSubject("featurize", "jobs")

// abandonedJobs reports the grouping jobs of dumps that featurize dead-lettered (a permanent
// error, or too many failed attempts): their pairs are missing from the lake, so the pipeline
// must not end as if it were complete.
func abandonedJobs(ctx context.Context, b *bus.Bus, dumps map[string]bool) error {
	var errs error
	err := bus.ReadDeadLetters(ctx, b.JS, deadJobsSubject, 0, func(d bus.Dead) error {
		if dump := d.Header.Get(schemas.HeaderDump); dumps[dump] {
			errs = errors.Join(errs, fmt.Errorf("featurize gave up on %s, whose pairs are missing from the lake: %s (the job is kept on %s)",
				dump, d.Reason, deadJobsSubject))
		}
		return nil
	})
	return errors.Join(err, errs)
}

// retryAbandonedJobs puts the dead-lettered grouping jobs of the dumps wanted back on
// featurize's work queue (under a new message id, so deduplication does not drop them) and takes
// them off the dead letters. Buckets the earlier attempts finished are not paired again.
func retryAbandonedJobs(ctx context.Context, g *globals, b *bus.Bus, wanted func(dump string) bool) error {
	var dead []bus.Dead
	err := bus.ReadDeadLetters(ctx, b.JS, deadJobsSubject, 0, func(d bus.Dead) error {
		if wanted(d.Header.Get(schemas.HeaderDump)) {
			dead = append(dead, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range dead {
		dump := d.Header.Get(schemas.HeaderDump)
		var job schemas.Job
		if err := json.Unmarshal(d.Data, &job); err != nil || job.Source == "" {
			g.log.Warn("a dead-lettered job this version cannot read is left where it is", zap.Uint64("seq", d.Seq), zap.String("dump", dump))
			continue
		}
		h := nats.Header{}
		h.Set(schemas.HeaderSchema, d.Header.Get(schemas.HeaderSchema))
		h.Set(schemas.HeaderDump, dump)
		h.Set(jetstream.MsgIDHeader, fmt.Sprintf("retry/%d/%s", d.Seq, dump))
		msg := &nats.Msg{Subject: bus.JobSubject("featurize", job.Source), Data: d.Data, Header: h}
		if err := bus.Retry(ctx, func(ctx context.Context) error { _, err := b.JS.PublishMsg(ctx, msg); return err }); err != nil {
			return fmt.Errorf("retry the grouping job of %s: %w", dump, err)
		}
		if err := bus.DeleteDeadLetter(ctx, b.JS, d.Seq); err != nil {
			return err
		}
		g.log.Info("the grouping job featurize gave up on is queued again", zap.String("dump", dump), zap.String("reason it gave up", d.Reason))
	}
	return nil
}
