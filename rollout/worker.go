package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
)

// Defaults of Options.
const (
	DefaultBatch         = 8
	DefaultMaxNew        = 64
	DefaultAckWait       = 2 * time.Minute
	DefaultMaxDeliver    = 5
	DefaultMaxAckPending = 256
	DefaultMaxAhead      = 8
	// DefaultPrompts is the subject filter of the prompt consumer: every prompt set.
	DefaultPrompts = "prompts.>"
	// maxMaxDeliver keeps the delivery count within its 7 bits of Trajectory.Seq.
	maxMaxDeliver = 100
)

// ConsumerName is the durable consumer of PROMPTS that a run's workers share.
func ConsumerName(run string) string { return "rollout-" + run }

// Registry labels of a policy entry naming the models used with it ("name@version").
const (
	LabelPM        = "pm"
	LabelReference = "reference"
)

// Options configure a worker.
type Options struct {
	// Run names the RLHF run: the worker follows trainer.PolicyName(Run), reads prompts with the
	// consumer ConsumerName(Run) and publishes to trajectories.<Run> (schemas.CheckRunName).
	Run string
	// Worker names this worker in its trajectories (default: DefaultWorkerName).
	Worker string
	// Batch is how many prompts are sampled together (default 8). Every worker of a run should
	// use the same (see the package documentation).
	Batch int
	// Sampling: Temperature (> 0; 0 means 1), TopP (in (0, 1]; 0 means 1), MaxNew (default 64;
	// must be below the policy's context).
	Sampling trainer.Sampling
	// Seed of the samplers (each batch's is derived from it and the batch's prompts).
	Seed uint64
	// Prompts is the subject filter of the prompt consumer (default "prompts.>"). Every worker of
	// a run must use the same: the consumer is shared.
	Prompts string
	// AckWait is how long a prompt message handed to a worker that went silent waits before the
	// server hands it to another (default 2 min; the worker sends heartbeats meanwhile).
	AckWait time.Duration
	// MaxDeliver is how many times a prompt message is tried before it is dead-lettered
	// (default 5, at most 100).
	MaxDeliver int
	// MaxAckPending bounds the prompt messages out with all the run's workers (default 256; a
	// worker holds one at a time, so this is the most workers that can be busy at once).
	MaxAckPending int
	// UntilIdle, when positive, makes Run return once no prompt arrived for this long after the
	// worker was ready (for demos and tests); otherwise Run returns when ctx ends.
	UntilIdle time.Duration
	// MaxAhead bounds how far sampling runs ahead of the trainer: a worker takes no new prompt
	// message while the trainer's consumer (trainer.PPOConsumer) has more than MaxAhead
	// trajectory batches waiting, since trajectories sampled far ahead would be stale, and
	// dropped, by the time the trainer reached them. Default DefaultMaxAhead; negative: no
	// limit. Without a trainer consumer for the run, workers never wait.
	MaxAhead int
	// Models, if set, is shared with the other workers of this process: each model version is
	// loaded once and its weights are shared. Default: the worker's own.
	Models *ModelCache
	Log    *zap.Logger
	// OnBatch, if set, is called after each batch is stored, from the sampling goroutine.
	OnBatch func(BatchReport)
	// OnSwitch, if set, is called when a policy version is installed, from the loading goroutine.
	OnSwitch func(SwitchReport)
}

// BatchReport describes one published batch.
type BatchReport struct {
	// PolicyVersion sampled the batch; PromptSeq is the prompt message's stream sequence and
	// FirstRow the batch's first row in it.
	PolicyVersion int
	PromptSeq     uint64
	FirstRow      int
	Trajectories  int
	// Tokens is the number of response tokens sampled.
	Tokens      int
	DeadLetters int
	// Duplicate: the server already had this batch (a redelivered message).
	Duplicate bool
	// Started is when the batch took the policy; Took how long sampling and scoring took.
	Started time.Time
	Took    time.Duration
}

// SwitchReport describes one installed policy version and the models it came with.
type SwitchReport struct {
	Policy, PM, Reference registry.Entry
	// Load is how long fetching, verifying and building took; At is when it was installed.
	Load time.Duration
	At   time.Time
}

// Stats are a worker's running totals.
type Stats struct {
	Messages, Batches, Trajectories, Tokens int64
	// Duplicates are batches the server already had (re-sent after a redelivery).
	Duplicates int64
	// DeadLetters counts prompts, trajectories and whole messages dead-lettered.
	DeadLetters int64
	// LoadFailures counts policy versions (with their models) that could not be used.
	LoadFailures int64
	// PolicyVersion is the version in use (0: none yet).
	PolicyVersion int64
}

// DefaultWorkerName is the host name and the process id.
func DefaultWorkerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// Check fills in the defaults and reports the first option that is out of range.
func (o *Options) Check() error {
	if err := schemas.CheckRunName(o.Run); err != nil {
		return fmt.Errorf("rollout: %w", err)
	}
	if o.Worker == "" {
		o.Worker = DefaultWorkerName()
	}
	if len(o.Worker) > schemas.MaxWorkerBytes {
		return fmt.Errorf("rollout: worker name of %d bytes, at most %d", len(o.Worker), schemas.MaxWorkerBytes)
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	s := &o.Sampling
	if s.Temperature == 0 {
		s.Temperature = 1
	}
	if s.TopP == 0 {
		s.TopP = 1
	}
	if s.MaxNew == 0 {
		s.MaxNew = DefaultMaxNew
	}
	if o.Prompts == "" {
		o.Prompts = DefaultPrompts
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxDeliver == 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if o.MaxAckPending == 0 {
		o.MaxAckPending = DefaultMaxAckPending
	}
	switch {
	case o.Batch < 1:
		return fmt.Errorf("rollout: batch %d: want at least 1 prompt", o.Batch)
	case !(s.Temperature > 0) || s.Temperature > 1e6:
		return fmt.Errorf("rollout: temperature %v: want a number above 0 (greedy decoding is not supported)", s.Temperature)
	case !(s.TopP > 0 && s.TopP <= 1):
		return fmt.Errorf("rollout: top-p %v: want 0 < top-p <= 1", s.TopP)
	case s.MaxNew < 1:
		return fmt.Errorf("rollout: max new tokens %d: want at least 1", s.MaxNew)
	case o.AckWait < time.Second:
		return fmt.Errorf("rollout: ack wait %v: want at least 1s", o.AckWait)
	case o.MaxDeliver < 1 || o.MaxDeliver > maxMaxDeliver:
		return fmt.Errorf("rollout: max deliver %d: want 1 to %d", o.MaxDeliver, maxMaxDeliver)
	case o.MaxAckPending < 1:
		return fmt.Errorf("rollout: max ack pending %d: want at least 1", o.MaxAckPending)
	case o.UntilIdle < 0:
		return fmt.Errorf("rollout: until-idle %v is negative", o.UntilIdle)
	}
	if err := checkFilter(o.Prompts); err != nil {
		return err
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return nil
}

// checkFilter accepts a subject filter within prompts.>: "prompts.>", "prompts.<set>", with
// wildcards as NATS allows them.
func checkFilter(f string) error {
	toks := splitSubject(f)
	if len(toks) < 2 || toks[0] != "prompts" {
		return fmt.Errorf("rollout: prompt subject %q: want prompts.> or prompts.<set>", f)
	}
	for i, t := range toks {
		switch {
		case t == "":
			return fmt.Errorf("rollout: prompt subject %q: empty token %d", f, i+1)
		case t == ">" && i != len(toks)-1:
			return fmt.Errorf("rollout: prompt subject %q: '>' must be the last token", f)
		}
		for j := 0; j < len(t); j++ {
			c := t[j]
			if c <= ' ' || c == 0x7f || ((c == '*' || c == '>') && len(t) > 1) {
				return fmt.Errorf("rollout: prompt subject %q: token %q is not a subject token", f, t)
			}
		}
	}
	return nil
}

func splitSubject(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// Worker samples trajectories for one run.
type Worker struct {
	js  jetstream.JetStream
	reg *registry.Registry
	o   Options
	log *zap.Logger
	// models is o.Models or the worker's own cache.
	models *ModelCache
	m      metrics
	cur    atomic.Pointer[modelSet]
	// ready is closed when the first policy is installed.
	ready     chan struct{}
	readyOnce sync.Once
	stats     struct {
		messages, batches, trajectories, tokens, duplicates, deadLetters, loadFailures, version atomic.Int64
	}
}

// New checks the options and returns a worker that uses js for the streams and reg for models.
func New(js jetstream.JetStream, reg *registry.Registry, o Options) (*Worker, error) {
	if js == nil || reg == nil {
		return nil, errors.New("rollout: a worker needs JetStream and the registry")
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	w := &Worker{js: js, reg: reg, o: o, ready: make(chan struct{}), models: o.Models,
		log: o.Log.With(zap.String("run", o.Run), zap.String("worker", o.Worker))}
	if w.models == nil {
		w.models = NewModelCache(DefaultCacheModels)
	}
	w.m = newMetrics(o.Run, o.Worker)
	return w, nil
}

// Options returns the worker's options with the defaults filled in.
func (w *Worker) Options() Options { return w.o }

// Stats returns the running totals.
func (w *Worker) Stats() Stats {
	s := &w.stats
	return Stats{Messages: s.messages.Load(), Batches: s.batches.Load(), Trajectories: s.trajectories.Load(),
		Tokens: s.tokens.Load(), Duplicates: s.duplicates.Load(), DeadLetters: s.deadLetters.Load(),
		LoadFailures: s.loadFailures.Load(), PolicyVersion: s.version.Load()}
}

// pollWait is the longest single wait for a prompt message.
const pollWait = 5 * time.Second

// Run follows the run's policy and samples prompts until ctx ends (it then returns ctx's error)
// or, with UntilIdle, until no prompt arrived for that long (it then returns nil). A message
// being worked on when ctx ends is handed back to the server at once.
func (w *Worker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var following sync.WaitGroup
	defer following.Wait()
	defer cancel()
	following.Add(1)
	go func() {
		defer following.Done()
		w.follow(ctx)
	}()
	if err := w.awaitPolicy(ctx); err != nil {
		return err
	}
	cons, err := w.consumer(ctx)
	if err != nil {
		return err
	}
	pub := bus.NewPublisher(w.js, 4)
	w.log.Info("sampling", zap.String("prompts", w.o.Prompts), zap.String("consumer", ConsumerName(w.o.Run)),
		zap.String("subject", bus.TrajectorySubject(w.o.Run)), zap.Int("batch", w.o.Batch),
		zap.Float64("temperature", w.o.Sampling.Temperature), zap.Float64("top_p", w.o.Sampling.TopP), zap.Int("max_new", w.o.Sampling.MaxNew))
	lastPrompt := time.Now()
	for {
		wait := pollWait
		if w.o.UntilIdle > 0 {
			left := w.o.UntilIdle - time.Since(lastPrompt)
			if left <= 0 {
				w.log.Info("idle: stopping", zap.Duration("idle", w.o.UntilIdle))
				return nil
			}
			wait = min(wait, left)
		}
		if err := w.awaitTrainer(ctx); err != nil {
			return err
		}
		msg, err := next(ctx, cons, wait)
		switch {
		case ctx.Err() != nil:
			if msg != nil {
				_ = msg.Nak()
			}
			return ctx.Err()
		case err == nil:
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages):
			continue
		case errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("rollout: prompts: %w", err)
		default:
			// A leader election or a reconnect: pull again shortly.
			w.log.Debug("pull failed; pulling again", zap.Error(err))
			if serr := sleep(ctx, 250*time.Millisecond); serr != nil {
				return serr
			}
			continue
		}
		if err := w.handle(ctx, pub, msg); err != nil {
			return err
		}
		lastPrompt = time.Now()
	}
}

// awaitTrainer waits while the run's trainer has more than MaxAhead trajectory batches waiting.
func (w *Worker) awaitTrainer(ctx context.Context) error {
	if w.o.MaxAhead < 0 {
		return nil
	}
	limit := w.o.MaxAhead
	if limit == 0 {
		limit = DefaultMaxAhead
	}
	for {
		cons, err := w.js.Consumer(ctx, bus.StreamTrajectories, trainer.PPOConsumer(w.o.Run))
		if err != nil {
			return nil // no trainer (yet), or the server is busy: sample
		}
		info, err := cons.Info(ctx)
		if err != nil || info.NumPending <= uint64(limit) {
			return nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// next waits up to wait for one prompt message.
func next(ctx context.Context, cons jetstream.Consumer, wait time.Duration) (jetstream.Msg, error) {
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return cons.Next(jetstream.FetchContext(fctx))
}

// awaitPolicy waits until a first policy version is installed, saying so if there is none yet.
func (w *Worker) awaitPolicy(ctx context.Context) error {
	select {
	case <-w.ready:
		return nil
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, err := w.reg.Resolve(ctx, trainer.PolicyName(w.o.Run)); errors.Is(err, registry.ErrNotFound) {
		w.log.Info("waiting for the run's first policy in the registry", zap.String("model", trainer.PolicyName(w.o.Run)))
	} else {
		w.log.Info("waiting for the policy to load", zap.String("model", trainer.PolicyName(w.o.Run)))
	}
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// consumer creates (or joins) the run's shared durable consumer of PROMPTS. An existing one
// reading other subjects is an error: changing it would change what every worker of the run
// reads.
func (w *Worker) consumer(ctx context.Context) (jetstream.Consumer, error) {
	name := ConsumerName(w.o.Run)
	var existing jetstream.Consumer
	err := bus.Retry(ctx, func(ctx context.Context) error {
		c, err := w.js.Consumer(ctx, bus.StreamPrompts, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil
		}
		existing = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rollout: consumer %s on %s: %w", name, bus.StreamPrompts, err)
	}
	if existing != nil {
		cfg := existing.CachedInfo().Config
		have := cfg.FilterSubjects
		if cfg.FilterSubject != "" {
			have = []string{cfg.FilterSubject}
		}
		if !slices.Equal(have, []string{w.o.Prompts}) {
			return nil, fmt.Errorf("rollout: consumer %s reads %v, this worker was asked for %s: every worker of run %s must use the same --prompts (or use another run name)",
				name, have, w.o.Prompts, w.o.Run)
		}
	}
	return bus.CreateConsumer(ctx, w.js, bus.ConsumerSpec{
		Stream: bus.StreamPrompts, Durable: name, FilterSubjects: []string{w.o.Prompts},
		AckWait: w.o.AckWait, MaxAckPending: w.o.MaxAckPending, MaxDeliver: w.o.MaxDeliver,
		DeadLetters: w.deadLetters(),
	})
}

func (w *Worker) deadLetters() string { return bus.DeadLetterSubject("rollout", w.o.Run) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
