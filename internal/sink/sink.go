// Package sink copies a stream of Arrow batches into the Parquet lake, acking each message only
// once the file holding its rows is durable and recorded in the partition's manifest; after a
// crash the unacked messages come back and those already committed are skipped.
package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

var (
	rowsCommitted  = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_sink_rows_total", Help: "Rows committed to the lake."}, []string{"dataset", "partition"})
	filesCommitted = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_sink_files_total", Help: "Parquet files committed to the lake."}, []string{"dataset", "partition"})
)

// Options configure a Parquet sink.
type Options struct {
	Lake string
	// CommitBytes of pending messages close a file (default 32 MiB of compressed batches): it
	// bounds memory too, since a message is held until its file is committed.
	CommitBytes int64
	// CommitMessages close a file (default 1000).
	CommitMessages int
	// IdleCommit closes files when no message arrived for this long (default 250ms).
	IdleCommit time.Duration
	Log        *zap.Logger
	Lakes      lake.Options
}

// PairsSpec is the consumer the pairs sink reads with.
func PairsSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream: bus.StreamPairs, Durable: "sink-parquet-pairs", FilterSubjects: []string{"pairs.>"},
		MaxAckPending: 4096, MaxDeliver: 5, AckWait: 30 * time.Second, PullMaxBytes: 16 << 20,
		BackOff:     []time.Duration{time.Second, 10 * time.Second},
		DeadLetters: bus.DeadLetterSubject("sink", "pairs"),
	}
}

// RunPairs sinks the PAIRS stream into LAKE/pairs/source=<source>/ until ctx is done, then
// commits what it holds.
func RunPairs(ctx context.Context, b *bus.Bus, o Options) error {
	return run(ctx, b, o, PairsSpec(), "pairs", schemas.PairCodec, schemas.PairFreeText)
}

// RankingsSpec is the consumer the rankings sink reads with.
func RankingsSpec() bus.ConsumerSpec {
	spec := PairsSpec()
	spec.Stream, spec.Durable, spec.FilterSubjects = bus.StreamRankings, "sink-parquet-rankings", []string{"rankings.>"}
	spec.DeadLetters = bus.DeadLetterSubject("sink", "rankings")
	return spec
}

// RunRankings sinks the RANKINGS stream into LAKE/rankings/source=<source>/ until ctx is done,
// then commits what it holds.
func RunRankings(ctx context.Context, b *bus.Bus, o Options) error {
	return run(ctx, b, o, RankingsSpec(), "rankings", schemas.RankingCodec, schemas.RankingFreeText)
}

// TrajectoriesSpec is the durable consumer that sinks PPO trajectories.
func TrajectoriesSpec() bus.ConsumerSpec {
	spec := PairsSpec()
	spec.Stream, spec.Durable, spec.FilterSubjects = bus.StreamTrajectories, "sink-parquet-trajectories", []string{"trajectories.>"}
	spec.DeadLetters = bus.DeadLetterSubject("sink", "trajectories")
	return spec
}

// RunTrajectories sinks the TRAJ stream into LAKE/trajectories/source=<run>/ until ctx is done,
// then commits what it holds, so a recorded RLHF run can be replayed or learnt from offline.
func RunTrajectories(ctx context.Context, b *bus.Bus, o Options) error {
	return run(ctx, b, o, TrajectoriesSpec(), "trajectories", schemas.TrajectoryCodec, schemas.TrajectoryFreeText)
}

type partition[T any] struct {
	w      *lake.Writer[T]
	msgs   []jetstream.Msg
	size   int64
	oldest time.Time
}

type sinker[T any] struct {
	o       Options
	dataset string
	codec   *schemas.Codec[T]
	parts   map[string]*partition[T]
	// arena and rows hold the batch being handled: Parquet copies every value it is given, so
	// the memory serves the next batch.
	arena schemas.Arena
	rows  []T
}

func run[T any](ctx context.Context, b *bus.Bus, o Options, spec bus.ConsumerSpec, dataset string, codec *schemas.Codec[T], freeText []string) error {
	o.Lakes.FreeText = freeText
	if o.CommitBytes <= 0 {
		o.CommitBytes = 32 << 20
	}
	if o.CommitMessages <= 0 {
		o.CommitMessages = 1000
	}
	if o.IdleCommit <= 0 {
		o.IdleCommit = 250 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	s := &sinker[T]{o: o, dataset: dataset, codec: codec, parts: map[string]*partition[T]{}}
	spec.IdleAfter = o.IdleCommit
	spec.OnIdle = func(context.Context) error { return s.commitAll() }
	err := bus.Consume(ctx, b.JS, spec, s.handle)
	if cerr := s.commitAll(); cerr != nil {
		o.Log.Warn("commit at shutdown failed; the messages will be redelivered", zap.Error(cerr))
	}
	for name, p := range s.parts {
		s.reset(name, p)
	}
	return err
}

// reset drops a partition's open part and writer after a failure: its messages are handed back
// for redelivery, and reopening the writer restores the last commit.
func (s *sinker[T]) reset(name string, p *partition[T]) {
	for _, m := range p.msgs {
		_ = m.Nak()
	}
	if err := p.w.Close(); err != nil {
		s.o.Log.Warn("closing lake writer", zap.String("partition", name), zap.Error(err))
	}
	delete(s.parts, name)
}

// partitionOf maps a subject <dataset>.<source>[...] to the partition source=<source>.
func partitionOf(subject string) string {
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) < 2 {
		return "source=unknown"
	}
	return "source=" + parts[1]
}

func (s *sinker[T]) handle(ctx context.Context, msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	name := partitionOf(msg.Subject())
	p, err := s.partition(name)
	if err != nil {
		return err
	}
	seq := meta.Sequence.Stream
	if p.w.Committed(seq) {
		return msg.Ack()
	}
	rows, err := s.codec.DecodeIn(&s.arena, s.rows[:0], msg.Data())
	s.rows = rows
	defer s.arena.Reset()
	if err != nil {
		return bus.Permanent(fmt.Errorf("sink: seq %d: %w", seq, err))
	}
	err = p.w.Append(rows, seq)
	if errors.Is(err, lake.ErrOutOfOrder) {
		if err = s.commit(name, p); err == nil {
			err = p.w.Append(rows, seq)
		}
	}
	if err != nil {
		s.reset(name, p)
		return err
	}
	if len(p.msgs) == 0 {
		p.oldest = time.Now()
	}
	p.msgs = append(p.msgs, msg)
	p.size += int64(len(msg.Data()))
	// Held messages must be committed and acked well within the consumer's AckWait.
	if p.size >= s.o.CommitBytes || len(p.msgs) >= s.o.CommitMessages || time.Since(p.oldest) > 10*time.Second {
		return s.commit(name, p)
	}
	return nil
}

func (s *sinker[T]) partition(name string) (*partition[T], error) {
	if p, ok := s.parts[name]; ok {
		return p, nil
	}
	w, err := lake.OpenWriter[T](s.o.Lake, s.dataset, name, s.o.Lakes)
	if err != nil {
		return nil, err
	}
	p := &partition[T]{w: w}
	s.parts[name] = p
	return p, nil
}

func (s *sinker[T]) commitAll() error {
	for name, p := range s.parts {
		if err := s.commit(name, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *sinker[T]) commit(name string, p *partition[T]) error {
	if len(p.msgs) == 0 {
		return nil
	}
	entry, err := p.w.Commit()
	if err != nil {
		s.reset(name, p)
		return fmt.Errorf("sink: commit %s/%s: %w", s.dataset, name, err)
	}
	for _, m := range p.msgs {
		if err := m.Ack(); err != nil {
			s.o.Log.Warn("ack after commit failed; the message will be redelivered and skipped", zap.Error(err))
		}
	}
	clear(p.msgs)
	p.msgs, p.size = p.msgs[:0], 0
	rowsCommitted.WithLabelValues(s.dataset, name).Add(float64(entry.Rows))
	filesCommitted.WithLabelValues(s.dataset, name).Inc()
	s.o.Log.Debug("committed", zap.String("file", entry.File), zap.Int64("rows", entry.Rows))
	return nil
}
