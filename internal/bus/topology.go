package bus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Streams.
const (
	// StreamRaw holds ingested Documents, raw.<source>.<dump>.<bucket>.
	StreamRaw = "RAW"
	// StreamJobs is the work queue of grouping jobs, jobs.<stage>.<source>: one per ingested dump.
	StreamJobs = "JOBS"
	// StreamPairs holds preference Pairs, pairs.<source>.
	StreamPairs = "PAIRS"
	// StreamDeadLetters holds what a stage could not use, dlq.<stage>.<source>, with the reason.
	StreamDeadLetters = "DLQ"
	// StreamRankings holds human Rankings, rankings.<source>.
	StreamRankings = "RANKINGS"
	// StreamPrompts holds prompts for rollout workers, prompts.<set>; consumers are durable.
	StreamPrompts = "PROMPTS"
	// StreamTrajectories holds rollout trajectories, trajectories.<run>.
	StreamTrajectories = "TRAJ"
)

// Key-value buckets.
const (
	// BucketCheckpoints remembers how far each ingest got in each input file.
	BucketCheckpoints = "checkpoints"
	// BucketProgress remembers how far each grouping job got in publishing its output.
	BucketProgress = "progress"
)

// DuplicateWindow is how long the server remembers message ids to drop re-sent batches.
const DuplicateWindow = time.Hour

// Subject helpers.
func RawSubject(source, dump string, bucket int) string {
	return fmt.Sprintf("raw.%s.%s.%d", source, Token(dump), bucket)
}

// RawSubjects matches every bucket subject of one dump.
func RawSubjects(source, dump string) string { return fmt.Sprintf("raw.%s.%s.*", source, Token(dump)) }

func JobSubject(stage, source string) string        { return "jobs." + stage + "." + source }
func PairSubject(source string) string              { return "pairs." + source }
func DeadLetterSubject(stage, source string) string { return "dlq." + stage + "." + source }

// AllDeadLetters matches every dead-letter subject.
const AllDeadLetters = "dlq.>"

func RankingSubject(source string) string { return "rankings." + source }
func PromptSubject(source string) string  { return "prompts." + Token(source) }

// TrajectorySubject is the subject of one RLHF run's trajectories (schemas.CheckRunName says
// which run names are valid; others are made a token).
func TrajectorySubject(run string) string { return "trajectories." + Token(run) }

var streams = []jetstream.StreamConfig{
	{Name: StreamRaw, Subjects: []string{"raw.>"}, Description: "ingested documents as Arrow batches"},
	{Name: StreamJobs, Subjects: []string{"jobs.>"}, Retention: jetstream.WorkQueuePolicy, Description: "grouping jobs, one per completely ingested dump"},
	{Name: StreamPairs, Subjects: []string{"pairs.>"}, Description: "preference pairs as Arrow batches"},
	{Name: StreamDeadLetters, Subjects: []string{AllDeadLetters}, Description: "records a stage could not use, with the reason"},
	{Name: StreamRankings, Subjects: []string{"rankings.>"}, Description: "human rankings as Arrow batches"},
	{Name: StreamPrompts, Subjects: []string{"prompts.>"}, Description: "prompts for rollout workers"},
	{Name: StreamTrajectories, Subjects: []string{"trajectories.>"}, Description: "rollout trajectories as Arrow batches"},
}

var buckets = []jetstream.KeyValueConfig{
	{Bucket: BucketCheckpoints, Description: "ingest positions per input file", History: 1},
	{Bucket: BucketProgress, Description: "output progress per grouping job", History: 1},
}

// EnsureTopology creates or updates every stream and bucket; it is safe to call from every
// service at start. On a cluster whose meta leader is not elected yet it retries. It reads each
// stream's info first and creates only what is missing and updates only what differs, so a
// service whose NATS user may read stream info and create missing streams, but not update
// them, can start (see deploy/nats/accounts.conf).
func EnsureTopology(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range streams {
		cfg.Replicas = replicas
		cfg.Storage = jetstream.FileStorage
		cfg.Duplicates = DuplicateWindow
		if err := retry(ctx, func(ctx context.Context) error {
			return ensureStream(ctx, js, cfg)
		}); err != nil {
			return fmt.Errorf("bus: stream %s: %w", cfg.Name, err)
		}
	}
	for _, cfg := range buckets {
		cfg.Replicas = replicas
		cfg.Storage = jetstream.FileStorage
		if err := retry(ctx, func(ctx context.Context) error {
			return ensureBucket(ctx, js, cfg)
		}); err != nil {
			return fmt.Errorf("bus: bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, cfg)
		return err
	}
	if err != nil {
		return err
	}
	if covers(s.CachedInfo().Config, cfg) {
		return nil
	}
	_, err = js.UpdateStream(ctx, cfg)
	return err
}

// covers reports whether have agrees with every field want sets (is not zero in), whatever the
// server filled in for the others.
func covers(have, want jetstream.StreamConfig) bool {
	h, w := reflect.ValueOf(have), reflect.ValueOf(want)
	for i := range w.NumField() {
		if f := w.Field(i); !f.IsZero() && !reflect.DeepEqual(h.Field(i).Interface(), f.Interface()) {
			return false
		}
	}
	return true
}

func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) error {
	s, err := js.Stream(ctx, "KV_"+cfg.Bucket)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateKeyValue(ctx, cfg)
		return err
	}
	if err != nil {
		return err
	}
	// What the buckets of this file set (extend this when they set more).
	have := s.CachedInfo().Config
	if have.Replicas == cfg.Replicas && have.MaxMsgsPerSubject == int64(max(cfg.History, 1)) &&
		have.Storage == cfg.Storage && have.Description == cfg.Description {
		return nil
	}
	_, err = js.UpdateKeyValue(ctx, cfg)
	return err
}

// Retry runs attempt, with a 5 s deadline per try, until it succeeds, fails with an error that
// Transient does not accept, or ctx ends: for requests that a cluster electing a leader refuses
// for a moment.
func Retry(ctx context.Context, attempt func(context.Context) error) error {
	return retry(ctx, attempt)
}

func retry(ctx context.Context, attempt func(context.Context) error) error {
	var err error
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = attempt(actx)
		cancel()
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// Transient reports whether err is one a cluster gives for a moment, a request timing out or
// finding no responders while a leader is elected: worth asking again.
func Transient(err error) bool { return retryable(err) }

func retryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == errDuplicateInProcess {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		errors.Is(err, nats.ErrNoResponders)
}

// Token turns any text into a valid single subject token.
func Token(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
