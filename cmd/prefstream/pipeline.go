package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/featurize"
	rdin "github.com/prefstream/prefstream/ingest/reddit"
	sein "github.com/prefstream/prefstream/ingest/stackexchange"
	wpin "github.com/prefstream/prefstream/ingest/wikipedia"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/sink"
)

// Summary is what a pipeline run reports, also written as JSON with --summary.
type Summary struct {
	Documents   map[string]int64 `json:"documents"`
	Pairs       map[string]int64 `json:"pairs"`
	DeadLetters map[string]int64 `json:"dead_letters"`
	BytesIn     int64            `json:"bytes_in"`
	Seconds     float64          `json:"seconds"`
}

// input is one SOURCE=PATH argument.
type input struct{ source, path string }

func parseInputs(args []string) ([]input, error) {
	var out []input
	for _, a := range args {
		source, path, ok := strings.Cut(a, "=")
		if !ok || path == "" {
			return nil, fmt.Errorf("input %q: want SOURCE=PATH, e.g. stackexchange=./ai.stackexchange.com.7z", a)
		}
		if _, ok := ingesters[source]; !ok {
			return nil, fmt.Errorf("input %q: unknown source %q (known: %s)", a, source, strings.Join(slices.Sorted(maps.Keys(ingesters)), ", "))
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("input %q: %w", a, err)
		}
		out = append(out, input{source, path})
	}
	if len(out) == 0 {
		return nil, errors.New("no input: give SOURCE=PATH arguments")
	}
	return out, nil
}

// ingestResult is what an ingester reports of one dump.
type ingestResult struct {
	name      string
	documents int64
	bytes     int64
	skipped   bool
}

// ingestOptions are what every ingester takes.
type ingestOptions struct {
	progress        func(read, total int64)
	checkpointBytes int64
	namespaces      string
}

// ingester reads the dumps of one source; given together, files of one dump (a Reddit month)
// are read into one job.
type ingester func(ctx context.Context, b *bus.Bus, paths []string, o ingestOptions) ([]ingestResult, error)

var ingesters = map[string]ingester{
	"stackexchange": func(ctx context.Context, b *bus.Bus, paths []string, o ingestOptions) ([]ingestResult, error) {
		var out []ingestResult
		var errs error
		for _, path := range paths {
			res, err := sein.Ingest(ctx, b, path, sein.Options{Progress: o.progress, CheckpointBytes: o.checkpointBytes})
			out = append(out, ingestResult{name: res.Site, documents: res.Counts.Documents, bytes: res.Counts.Bytes, skipped: res.Skipped})
			errs = errors.Join(errs, err)
		}
		return out, errs
	},
	"reddit": func(ctx context.Context, b *bus.Bus, paths []string, o ingestOptions) ([]ingestResult, error) {
		for _, p := range paths {
			if strings.HasSuffix(p, ".zst") {
				reserveMemory(rdin.DecoderMemory) // the decoder's recent history, once
				break
			}
		}
		results, err := rdin.Ingest(ctx, b, paths, rdin.Options{Progress: o.progress, CheckpointBytes: o.checkpointBytes})
		var out []ingestResult
		for _, res := range results {
			out = append(out, ingestResult{name: res.Dump, documents: res.Counts.Documents, bytes: res.Counts.Bytes, skipped: res.Skipped})
		}
		return out, err
	},
	"wikipedia": func(ctx context.Context, b *bus.Bus, paths []string, o ingestOptions) ([]ingestResult, error) {
		var out []ingestResult
		var errs error
		for _, path := range paths {
			res, err := wpin.Ingest(ctx, b, path, wpin.Options{Namespaces: o.namespaces, Progress: o.progress, CheckpointBytes: o.checkpointBytes})
			out = append(out, ingestResult{name: res.Dump, documents: res.Counts.Documents, bytes: res.Counts.Bytes, skipped: res.Skipped})
			errs = errors.Join(errs, err)
		}
		return out, errs
	},
}

// pipelineIdleCommit is how long the pipeline's sink waits for more pairs before it commits
// what it holds (the long-running sink's default is 250ms).
const pipelineIdleCommit = 100 * time.Millisecond

// dumpPatterns says which file names a --watch directory holds for each source.
var dumpPatterns = map[string]func(name string) bool{
	"stackexchange": func(name string) bool { return strings.HasSuffix(name, ".7z") || strings.EqualFold(name, "Posts.xml") },
	"reddit": func(name string) bool {
		return (strings.HasPrefix(name, "RC_") || strings.HasPrefix(name, "RS_")) &&
			(strings.HasSuffix(name, ".zst") || strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".json"))
	},
	"wikipedia": func(name string) bool {
		return strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".xml.bz2") || strings.HasSuffix(name, ".xml.7z") || strings.HasSuffix(name, ".bz2")
	},
}

type pipelineOptions struct {
	ingest         ingestOptions
	lake           string
	summaryFile    string
	recipes        map[string]featurize.Recipe
	workers        int
	commitMessages int
	quiet          bool
}

func newPipelineCmd(g *globals) *cobra.Command {
	var o pipelineOptions
	var rf recipeFlags
	cmd := &cobra.Command{
		Use:   "pipeline [flags] SOURCE=PATH...",
		Short: "Ingest dumps, pair them and commit the pairs to Parquet, then exit",
		Long: `Runs ingest, featurize and the Parquet sink together and exits 0 once every pair of the given
dumps is committed to the lake. Run again on the same --data-dir and --lake after a crash, it
finishes the job with no pair lost or repeated. A dump already ingested is not read again; if
featurize gave its grouping job up in an earlier run (the run failed naming the dump and the
reason), the job is tried again.

SOURCE=PATH, any number, any mix:
  stackexchange=PATH  a site .7z, an extracted site folder or a Posts.xml
  reddit=PATH         a monthly RC_YYYY-MM.zst / RS_YYYY-MM.zst (or .ndjson); the files of one
                      month given together are paired together
  wikipedia=PATH      a MediaWiki history export: .xml, .xml.bz2 or .7z`,
		Example: `  prefstream pipeline --data-dir ./d --lake ./lake --summary run.json stackexchange=./ai.stackexchange.com.7z
  prefstream pipeline --recipe reddit=siblings --namespaces all stackexchange=A reddit=RS_2015-06.zst reddit=RC_2015-06.zst wikipedia=D.xml.bz2`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := parseInputs(args)
			if err != nil {
				return err
			}
			if o.recipes, err = rf.recipes(); err != nil {
				return err
			}
			sum, err := runPipeline(cmd.Context(), g, inputs, o)
			if sum != nil {
				printSummary(cmd.OutOrStdout(), sum)
				if o.summaryFile != "" {
					if werr := writeJSON(o.summaryFile, sum); werr != nil {
						err = errors.Join(err, werr)
					}
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.lake, "lake", "./lake", "lake root directory")
	cmd.Flags().StringVar(&o.summaryFile, "summary", "", "also write the summary as JSON to this file")
	cmd.Flags().IntVar(&o.workers, "workers", 2, "featurize jobs processed at once")
	cmd.Flags().Int64Var(&o.ingest.checkpointBytes, "checkpoint-bytes", 32<<20, "input bytes between ingest checkpoints")
	cmd.Flags().StringVar(&o.ingest.namespaces, "namespaces", "0", "Wikipedia namespaces to keep: a list such as 0,4 or all")
	cmd.Flags().IntVar(&o.commitMessages, "commit-messages", 0, "messages per Parquet file at most (default: the sink's)")
	for _, hidden := range []string{"checkpoint-bytes", "commit-messages"} {
		_ = cmd.Flags().MarkHidden(hidden)
	}
	rf.register(cmd)
	return cmd
}

func runPipeline(ctx context.Context, g *globals, inputs []input, o pipelineOptions) (*Summary, error) {
	start := time.Now()
	b, err := g.connect(ctx, "pipeline")
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := g.serve(ctx); err != nil {
		return nil, err
	}
	for _, spec := range []bus.ConsumerSpec{featurize.JobsSpec(), sink.PairsSpec()} {
		if err := b.ReclaimPending(ctx, spec); err != nil {
			return nil, err
		}
	}
	svc := startServices(ctx,
		func(ctx context.Context) error {
			return featurize.Run(ctx, b, featurize.Options{Recipes: o.recipes, Workers: o.workers, Log: g.log})
		},
		func(ctx context.Context) error {
			// The run ends once the last pairs are committed, which happens when the sink has
			// seen nothing for IdleCommit: wait less than a long-running sink would.
			return sink.RunPairs(ctx, b, sink.Options{Lake: o.lake, Log: g.log, CommitMessages: o.commitMessages, IdleCommit: pipelineIdleCommit})
		},
	)

	sum := &Summary{Documents: map[string]int64{}, Pairs: map[string]int64{}, DeadLetters: map[string]int64{}}
	var inputErrs error
	dumps, ingestedNow := map[string]bool{}, map[string]bool{}
	for _, group := range bySource(inputs) {
		results, err := ingestWithProgress(ctx, g, b, group.source, group.paths, o.ingest, o.quiet)
		sum.Documents[group.source] += 0
		for _, res := range results {
			sum.Documents[group.source] += res.documents
			sum.BytesIn += res.bytes
			dumps[res.name] = true
			ingestedNow[res.name] = ingestedNow[res.name] || !res.skipped
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, errors.Join(err, svc.stop())
			}
			g.log.Error("input failed; what was read before the error still goes through", zap.String("source", group.source), zap.Error(err))
			inputErrs = errors.Join(inputErrs, err)
		}
	}
	// A dump ingested by an earlier run publishes no job again: if featurize gave its job up,
	// retry it.
	ingestedBefore := func(dump string) bool { return dumps[dump] && !ingestedNow[dump] }
	if err := retryAbandonedJobs(ctx, g, b, ingestedBefore); err != nil {
		return nil, errors.Join(err, svc.stop())
	}
	if err := waitCommitted(ctx, b, svc); err != nil {
		return nil, errors.Join(err, svc.stop())
	}
	if err := svc.stop(); err != nil {
		return nil, err
	}
	if err := countOutputs(ctx, b, o.lake, sum); err != nil {
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	if err := abandonedJobs(ctx, b, dumps); err != nil {
		return sum, errors.Join(inputErrs, err)
	}
	return sum, inputErrs
}

// sourceInputs are the inputs of one source, in the order given.
type sourceInputs struct {
	source string
	paths  []string
}

func bySource(inputs []input) []sourceInputs {
	var out []sourceInputs
	index := map[string]int{}
	for _, in := range inputs {
		i, ok := index[in.source]
		if !ok {
			i = len(out)
			index[in.source] = i
			out = append(out, sourceInputs{source: in.source})
		}
		out[i].paths = append(out[i].paths, in.path)
	}
	return out
}

// warnHistoryOnTmpfs says so when a Reddit month's zstd window, of which all but the last
// 64 MiB goes to a file in the temp dir, would sit in a tmpfs and so in RAM after all.
func warnHistoryOnTmpfs(g *globals, source string, paths []string) {
	if source != "reddit" || !slices.ContainsFunc(paths, func(p string) bool { return strings.HasSuffix(p, ".zst") }) {
		return
	}
	if dir := os.TempDir(); onTmpfs(dir) {
		g.log.Warn("the temp dir is a tmpfs: the part of a .zst window older than the last 64 MiB (up to 2 GiB for a month) will take RAM there; set TMPDIR to a directory on disk",
			zap.String("tmpdir", dir))
	}
}

func ingestWithProgress(ctx context.Context, g *globals, b *bus.Bus, source string, paths []string, o ingestOptions, quiet bool) ([]ingestResult, error) {
	warnHistoryOnTmpfs(g, source, paths)
	bar := newProgress(source+" "+strings.Join(paths, " "), quiet)
	defer bar.finish()
	o.progress = bar.update
	results, err := ingesters[source](ctx, b, paths, o)
	for _, res := range results {
		if res.skipped {
			g.log.Info("already ingested; not read again", zap.String("source", source), zap.String("dump", res.name), zap.Int64("documents", res.documents))
		} else {
			g.log.Info("ingested", zap.String("source", source), zap.String("dump", res.name), zap.Int64("documents", res.documents))
		}
	}
	return results, err
}

// services runs the long-running stages of a pipeline until stopped or until one fails.
type services struct {
	cancel context.CancelFunc
	errs   chan error
	failed chan struct{}
	n      int
	once   sync.Once
}

func startServices(ctx context.Context, run ...func(context.Context) error) *services {
	sctx, cancel := context.WithCancel(ctx)
	s := &services{cancel: cancel, errs: make(chan error, len(run)), failed: make(chan struct{}), n: len(run)}
	for _, r := range run {
		go func() {
			err := r(sctx)
			if sctx.Err() == nil {
				s.once.Do(func() { close(s.failed) })
			}
			s.errs <- err
		}()
	}
	return s
}

// stop cancels every service and returns their errors, if any but cancellation.
func (s *services) stop() error {
	s.cancel()
	var err error
	for i := 0; i < s.n; i++ {
		if e := <-s.errs; e != nil && !errors.Is(e, context.Canceled) {
			err = errors.Join(err, e)
		}
	}
	s.n = 0
	return err
}

// waitCommitted returns once every grouping job is done and every pair is committed to the lake.
func waitCommitted(ctx context.Context, b *bus.Bus, svc *services) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-svc.failed:
			return errors.New("a pipeline service stopped")
		case <-tick.C:
		}
		done, err := drained(ctx, b)
		if err != nil && ctx.Err() == nil && bus.Transient(err) {
			continue // a leader election on a cluster: ask again
		}
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func drained(ctx context.Context, b *bus.Bus) (bool, error) {
	jobs, err := b.JS.Stream(ctx, bus.StreamJobs)
	if err != nil {
		return false, err
	}
	info, err := jobs.Info(ctx)
	if err != nil {
		return false, err
	}
	if info.State.Msgs > 0 {
		return false, nil
	}
	cons, err := b.JS.Consumer(ctx, bus.StreamPairs, sink.PairsSpec().Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return false, err
	}
	// On a cluster the consumer's leader may be a node still catching up on the stream, whose
	// NumPending is 0 for pairs it has not seen yet: the ack floor must also have reached the
	// last sequence the stream's leader reports.
	pairs, err := b.JS.Stream(ctx, bus.StreamPairs)
	if err != nil {
		return false, err
	}
	return ci.NumPending == 0 && ci.NumAckPending == 0 && ci.AckFloor.Stream >= pairs.CachedInfo().State.LastSeq, nil
}

// countOutputs fills the pairs committed per source from the lake, and the dead letters per
// source from the DLQ stream.
func countOutputs(ctx context.Context, b *bus.Bus, lakeDir string, sum *Summary) error {
	stats, err := lake.Stats(lakeDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, s := range stats {
		if s.Dataset == "pairs" {
			sum.Pairs[strings.TrimPrefix(s.Partition, "source=")] += s.Rows
		}
	}
	dead, err := bus.DeadLetterCounts(ctx, b.JS, bus.AllDeadLetters)
	if err != nil {
		return err
	}
	for subject, n := range dead {
		parts := strings.Split(subject, ".")
		sum.DeadLetters[parts[len(parts)-1]] += int64(n)
	}
	for source := range sum.Documents {
		sum.Pairs[source] += 0
		sum.DeadLetters[source] += 0
	}
	return nil
}

func printSummary(w io.Writer, s *Summary) {
	sources := slices.Sorted(maps.Keys(s.Documents))
	fmt.Fprintf(w, "\n%-16s %12s %12s %12s\n", "source", "documents", "pairs", "dead letters")
	for _, src := range sources {
		fmt.Fprintf(w, "%-16s %12d %12d %12d\n", src, s.Documents[src], s.Pairs[src], s.DeadLetters[src])
	}
	mb := float64(s.BytesIn) / 1e6
	fmt.Fprintf(w, "read %.1f MB in %.1fs (%.1f MB/s)\n", mb, s.Seconds, mb/max(s.Seconds, 1e-9))
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
