package main

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/obs"
)

// globals are the flags every command shares.
type globals struct {
	bus         bus.Config
	logFormat   string
	logLevel    string
	metricsAddr string
	memoryLimit sizeFlag
	cpuProfile  string
	memProfile  string
	stopProfile func()
	log         *zap.Logger
	// deny stops the running command when the NATS server denies it a subject.
	deny context.CancelCauseFunc
	// serveOnce starts the metrics server once, however many stages a command runs (demo).
	serveOnce sync.Once
	serveErr  error
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "prefstream",
		Short: "Streaming proxy-preference data and RLHF training on NATS JetStream",
		Long: `prefstream turns public proxy-preference dumps (Stack Exchange, Reddit, Wikipedia) into preference pairs,
streaming them through NATS JetStream as Arrow batches and committing them to a Parquet lake;
pre-trains a preference model on those pairs and fine-tunes it on human rankings; and runs
online RLHF: rollout workers sample from the policy, the PM scores, PPO updates the policy.

Without --nats, every command starts an embedded nats-server with JetStream storing under
--data-dir; with --nats it joins a real server or cluster, so the same services can run as
separate processes on many machines.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := obs.NewLogger(g.logFormat, g.logLevel)
			if err != nil {
				return err
			}
			g.log = log
			ctx, cancel := context.WithCancelCause(cmd.Context())
			cmd.SetContext(ctx)
			g.deny = cancel
			g.setMemoryLimit()
			return g.startProfiles()
		},
		PersistentPostRunE: func(*cobra.Command, []string) error {
			g.stopProfiles()
			return nil
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&g.bus.URL, "nats", "", "NATS server URL(s), comma separated; empty starts an embedded server")
	f.StringVar(&g.bus.DataDir, "data-dir", "./prefstream-data", "where the embedded server stores its streams")
	f.IntVar(&g.bus.Replicas, "replicas", 1, "replicas of every stream and bucket (3 on a cluster)")
	f.StringVar(&g.bus.CredsFile, "nats-creds", "", "NATS user credentials file")
	f.StringVar(&g.bus.NKeyFile, "nats-nkey", "", "NATS NKey seed file")
	f.StringVar(&g.bus.User, "nats-user", "", "NATS user name")
	f.StringVar(&g.bus.Password, "nats-password", "", "NATS password")
	f.StringVar(&g.bus.TLSCA, "tls-ca", "", "CA certificate to verify the NATS server")
	f.StringVar(&g.bus.TLSCert, "tls-cert", "", "client certificate for NATS")
	f.StringVar(&g.bus.TLSKey, "tls-key", "", "client key for NATS")
	f.StringVar(&g.logFormat, "log-format", "console", "log format: console or json")
	f.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&g.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address (e.g. :9090) for long-running services and training runs")
	g.memoryLimit = 600 << 20
	f.Var(&g.memoryLimit, "memory-limit", "soft memory limit of the process (GOMEMLIMIT wins when set; 0: none). Garbage is collected as the heap nears it (GOGC=off unless GOGC is set); the embedded server's block caches are weak references and go first")
	f.StringVar(&g.cpuProfile, "cpu-profile", "", "write a CPU profile of the run to this file")
	f.StringVar(&g.memProfile, "mem-profile", "", "write a heap profile at the end of the run to this file")

	root.AddCommand(
		newServerCmd(g),
		newIngestCmd(g),
		newFeaturizeCmd(g),
		newSinkCmd(g),
		newLakeCmd(g),
		newPipelineCmd(g),
		newGenCmd(g),
		newDemoCmd(g),
		newBenchCmd(g),
		newModelsCmd(g),
		newTrainCmd(g),
		newEvalCmd(g),
		newRolloutCmd(g),
		newReplayCmd(g),
		newDLQCmd(g),
	)
	reportDenied(root)
	return root
}

// reportDenied makes every command return the server's refusal (bus.Config.OnDenied), which
// names the subject, when it stopped because of one, rather than what the cancellation made of it.
func reportDenied(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		reportDenied(sub)
	}
	run := cmd.RunE
	if run == nil {
		return
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if cause := context.Cause(cmd.Context()); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return cause
		}
		return err
	}
}

// withBus runs fn connected as service (see connect), and disconnects after.
func (g *globals) withBus(ctx context.Context, service string, fn func(*bus.Bus) error) error {
	b, err := g.connect(ctx, service)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}

// connect joins the configured server, or starts the embedded one, named for the service.
func (g *globals) connect(ctx context.Context, service string) (*bus.Bus, error) {
	c := g.bus
	c.Name = "prefstream-" + service
	c.OnDenied = func(err error) {
		g.log.Error("stopping: the NATS server denied a subject", zap.Error(err))
		if g.deny != nil {
			g.deny(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	b, err := bus.Connect(cctx, c)
	if err != nil {
		return nil, err
	}
	where := c.URL
	if where == "" {
		where = "embedded server in " + c.DataDir
	}
	g.log.Debug("connected", zap.String("service", service), zap.String("nats", where))
	return b, nil
}

// serve starts the metrics endpoint of a long-running service.
func (g *globals) serve(ctx context.Context) error {
	g.serveOnce.Do(func() { g.serveErr = obs.ServeMetrics(ctx, g.metricsAddr, g.log) })
	return g.serveErr
}

func (g *globals) startProfiles() error {
	g.stopProfile = func() {}
	if g.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(g.cpuProfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	g.stopProfile = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	return nil
}

func (g *globals) stopProfiles() {
	if g.stopProfile != nil {
		g.stopProfile()
	}
	if g.memProfile == "" {
		return
	}
	f, err := os.Create(g.memProfile)
	if err != nil {
		g.log.Warn("heap profile", zap.Error(err))
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		g.log.Warn("heap profile", zap.Error(err))
	}
}

var reserveDecoderMemory sync.Once

// reserveMemory raises the soft memory limit, once, by n bytes for memory the input needs
// whatever the budget (a zstd decoder's recent history), so it does not eat the GC's headroom.
func reserveMemory(n int64) {
	reserveDecoderMemory.Do(func() {
		if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64-n {
			debug.SetMemoryLimit(limit + n)
		}
	})
}

// setMemoryLimit applies --memory-limit unless the environment sets GOMEMLIMIT. Under a limit
// the process collects garbage only as it nears the limit (GOGC=off, unless GOGC is set): a
// budget rather than a multiple of the live heap, which also spares ~10% of the CPU.
func (g *globals) setMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" || g.memoryLimit <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(g.memoryLimit))
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
	}
}
