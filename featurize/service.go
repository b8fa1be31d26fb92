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
	// Workers run jobs concurrently (default 2).
	Workers int
	Log     *zap.Logger
	// OnJob, if set, sees every finished job.
	OnJob func(JobStats)
}

// JobsSpec is the consumer of grouping jobs.
func JobsSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream: bus.StreamJobs, Durable: Durable, FilterSubjects: []string{bus.JobSubject("featurize", "*")},
		MaxAckPending: 64, MaxDeliver: 5, AckWait: time.Minute,
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
	w := &worker{b: b, recipes: o.Recipes, log: o.Log}
	var mu sync.Mutex
	handle := func(ctx context.Context, msg jetstream.Msg) error {
		job, err := decodeJob(msg.Data())
		if err != nil {
			return err
		}
		start := time.Now()
		st, err := w.run(ctx, job, func() { _ = msg.InProgress() })
		if err != nil {
			o.Log.Warn("job failed", zap.String("job", job.ID()), zap.Error(err))
			return err
		}
		if err := msg.DoubleAck(ctx); err != nil {
			return err
		}
		o.Log.Info("job done", zap.String("job", job.ID()), zap.Int("documents", st.Documents), zap.Int("threads", st.Threads),
			zap.Int("pairs", st.Pairs), zap.Int("dead_letters", st.Rejects), zap.Duration("took", time.Since(start)))
		if o.OnJob != nil {
			mu.Lock()
			o.OnJob(st)
			mu.Unlock()
		}
		return nil
	}
	errs := make(chan error, o.Workers)
	for i := 0; i < o.Workers; i++ {
		go func() { errs <- bus.Consume(ctx, b.JS, JobsSpec(), handle) }()
	}
	var err error
	for i := 0; i < o.Workers; i++ {
		if e := <-errs; e != nil && !errors.Is(e, context.Canceled) {
			err = errors.Join(err, e)
		}
	}
	return err
}
