package featurize

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
)

// Durable is the consumer name all featurize workers share: each job goes to one of them.
const Durable = "featurize"

// Options configure the featurize service.
type Options struct {
	// Recipes by source; sources without one are dead-lettered.
	Recipes map[string]Recipe
	// Workers pair the buckets of a job concurrently (default 2).
	Workers int
	// TmpDir holds each job's spill file (default: the system temp dir).
	TmpDir string
	Log    *zap.Logger
	// OnJob, if set, sees every finished job.
	OnJob func(JobStats)
}

// JobsSpec is the consumer of grouping jobs.
func JobsSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream: bus.StreamJobs, Durable: Durable, FilterSubjects: []string{bus.JobSubject("featurize", "*")},
		MaxAckPending: 1, MaxDeliver: 5, AckWait: 30 * time.Second,
		BackOff:     []time.Duration{time.Second, 5 * time.Second, 30 * time.Second},
		DeadLetters: bus.DeadLetterSubject("featurize", "jobs"),
	}
}

// Run processes grouping jobs until ctx is done.
func Run(ctx context.Context, b *bus.Bus, o Options) error {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	w := &worker{b: b, recipes: o.Recipes, log: o.Log, buckets: o.Workers, tmpDir: o.TmpDir}
	handle := func(ctx context.Context, msg jetstream.Msg) error {
		job, err := decodeJob(msg.Data())
		if err != nil {
			return err
		}
		start := time.Now()
		st, err := w.run(ctx, job, throttle(5*time.Second, func() { _ = msg.InProgress() }))
		if err != nil {
			o.Log.Warn("job failed", zap.String("job", job.ID()), zap.Error(err))
			return err
		}
		if err := msg.DoubleAck(ctx); err != nil {
			return err
		}
		o.Log.Info("job done", zap.String("job", job.ID()), zap.Int("documents", st.Documents), zap.Int("threads", st.Threads),
			zap.Int("pairs", st.Pairs), zap.Int("dead_letters", st.Rejects), zap.Int("buckets_done_before", st.BucketsSkipped),
			zap.Duration("took", time.Since(start)))
		if o.OnJob != nil {
			o.OnJob(st)
		}
		return nil
	}
	err := bus.Consume(ctx, b.JS, JobsSpec(), handle)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// throttle calls f at most once per interval, from any goroutine.
func throttle(interval time.Duration, f func()) func() {
	var mu sync.Mutex
	var last time.Time
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) >= interval {
			last = time.Now()
			f()
		}
	}
}
