package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/featurize"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/sink"
)

func newServerCmd(g *globals) *cobra.Command {
	var listen string
	var syncAlways bool
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a standalone JetStream server for prefstream services in other processes",
		Long: `Runs the embedded nats-server with JetStream on --data-dir, listening on --listen, until
stopped. Services in other processes (or on other machines) then join it with --nats.
For production, prefer a real NATS cluster (see deploy/).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns, err := bus.StartServer(bus.ServerOptions{DataDir: g.bus.DataDir, Listen: listen, SyncAlways: syncAlways})
			if err != nil {
				return err
			}
			g.log.Info("server ready", zap.String("url", ns.ClientURL()), zap.String("data_dir", g.bus.DataDir))
			<-cmd.Context().Done()
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4222", "host:port to accept clients on")
	cmd.Flags().BoolVar(&syncAlways, "sync-always", false, "fsync every write (slower; the default syncs every 2 minutes)")
	return cmd
}

// recipeFlags parses --recipe SOURCE=PRESET flags.
type recipeFlags struct {
	presets           []string
	maxPairsPerThread int
	seed              uint64
	minScoreDiff      int64
	vandalismOnly     bool
}

func (r *recipeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&r.presets, "recipe", nil, "pairing preset per source, SOURCE=PRESET (stackexchange=askell, reddit=shp|siblings, wikipedia=reverts)")
	cmd.Flags().Int64Var(&r.minScoreDiff, "min-score-diff", 1, "reddit siblings: least score difference of a pair")
	cmd.Flags().BoolVar(&r.vandalismOnly, "vandalism-only", false, "wikipedia reverts: keep only reverts whose comment names vandalism or a revert tool")
	cmd.Flags().IntVar(&r.maxPairsPerThread, "max-pairs-per-thread", 0, "keep at most N pairs per thread, chosen by a seeded hash (0: all)")
	cmd.Flags().Uint64Var(&r.seed, "seed", 1, "seed of the per-thread pair selection")
}

func (r *recipeFlags) recipes() (map[string]featurize.Recipe, error) {
	chosen := map[string]string{}
	for _, p := range r.presets {
		source, preset, ok := strings.Cut(p, "=")
		if !ok || source == "" || preset == "" {
			return nil, fmt.Errorf("--recipe %q: want SOURCE=PRESET", p)
		}
		chosen[source] = preset
	}
	out := map[string]featurize.Recipe{}
	opts := featurize.RecipeOptions{MaxPairsPerThread: r.maxPairsPerThread, Seed: r.seed, MinScoreDiff: r.minScoreDiff, VandalismOnly: r.vandalismOnly}
	for source := range featurize.Presets {
		rec, err := featurize.NewRecipe(source, chosen[source], opts)
		if err != nil {
			return nil, err
		}
		out[source] = rec
		delete(chosen, source)
	}
	for source := range chosen { // sources featurize does not know
		if _, err := featurize.NewRecipe(source, "", opts); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func newFeaturizeCmd(g *globals) *cobra.Command {
	var rf recipeFlags
	var workers int
	cmd := &cobra.Command{
		Use:   "featurize",
		Short: "Turn ingested documents into preference pairs (long-running)",
		Long: `Consumes grouping jobs (one per complete bucket of an ingested dump), groups each bucket's
documents by thread, applies the source's pairing recipe and publishes pairs to pairs.<source>.
Run as many as you like against one --nats server: jobs are shared among them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			recipes, err := rf.recipes()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			b, err := g.connect(ctx, "featurize")
			if err != nil {
				return err
			}
			defer b.Close()
			if err := g.serve(ctx); err != nil {
				return err
			}
			g.log.Info("featurize running", zap.Int("workers", workers))
			return ignoreCanceled(featurize.Run(ctx, b, featurize.Options{Recipes: recipes, Workers: workers, Log: g.log}))
		},
	}
	rf.register(cmd)
	cmd.Flags().IntVar(&workers, "workers", 2, "jobs processed at once")
	return cmd
}

func newSinkCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sink", Short: "Write streams to the Parquet lake (long-running)"}
	var o sink.Options
	var datasets []string
	parquetCmd := &cobra.Command{
		Use:   "parquet",
		Short: "Write pairs, rankings and trajectories to LAKE/<dataset>/source=<source>/*.parquet, acking only what is durable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			b, err := g.connect(ctx, "sink")
			if err != nil {
				return err
			}
			defer b.Close()
			if err := g.serve(ctx); err != nil {
				return err
			}
			o.Log = g.log
			g.log.Info("sink running", zap.String("lake", o.Lake))
			return ignoreCanceled(runSinks(ctx, b, o, datasets))
		},
	}
	parquetCmd.Flags().StringVar(&o.Lake, "lake", "./lake", "lake root directory")
	parquetCmd.Flags().StringSliceVar(&datasets, "datasets", []string{"pairs", "rankings", "trajectories"}, "streams to write: pairs (PAIRS), rankings (RANKINGS), trajectories (TRAJ)")
	parquetCmd.Flags().Int64Var(&o.CommitBytes, "commit-bytes", 32<<20, "close a Parquet file after this many bytes of messages")
	parquetCmd.Flags().DurationVar(&o.IdleCommit, "idle-commit", 0, "close files when idle this long (default 250ms)")
	cmd.AddCommand(parquetCmd)
	return cmd
}

func ignoreCanceled(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
