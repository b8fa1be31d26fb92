package trainer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// Position is where a source's next example is: for a stream, the stream sequence of the
// message holding it and its index among the message's examples; for a lake, the file's
// index (from 1) in lake order and the row's index in it. Pass counts completed passes.
type Position struct {
	Pass int    `json:"pass"`
	Seq  uint64 `json:"seq"`
	Row  int    `json:"row"`
}

// Source yields preference pairs in a fixed order, from any position.
type Source interface {
	// Each calls fn with every pair from position from on (within from.Pass) and the
	// position just after it, in order, until the data ends (nil) or fn returns an error.
	Each(ctx context.Context, from Position, fn func(p schemas.Pair, next Position) error) error
	String() string
}

// errStop ends an Each early without error.
var errStop = errors.New("stop")

// expand turns a decoded batch of records into pairs: Pairs as they are, Rankings into their
// k(k-1)/2 pairs. A ranking that fails validation gives no pair (ingest dead-letters those).
func expand(schema string, data []byte) ([]schemas.Pair, error) {
	switch {
	case strings.HasPrefix(schema, "pair/"):
		return schemas.PairCodec.Decode(data)
	case strings.HasPrefix(schema, "ranking/"):
		rankings, err := schemas.RankingCodec.Decode(data)
		if err != nil {
			return nil, err
		}
		return rankingPairs(rankings), nil
	default:
		return nil, fmt.Errorf("trainer: messages of schema %q hold no pairs", schema)
	}
}

func rankingPairs(rankings []schemas.Ranking) []schemas.Pair {
	var pairs []schemas.Pair
	for i := range rankings {
		ps, err := rankings[i].Pairs()
		if err == nil {
			pairs = append(pairs, ps...)
		}
	}
	return pairs
}

// StreamSource reads pairs (PAIRS) or rankings (RANKINGS) from a JetStream stream with an
// ordered consumer, from a given sequence; a pass ends at the last message present when it
// started.
type StreamSource struct {
	JS      jetstream.JetStream
	Stream  string
	Subject string
}

func (s *StreamSource) String() string { return s.Stream + ":" + s.Subject }

func (s *StreamSource) Each(ctx context.Context, from Position, fn func(schemas.Pair, Position) error) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.Subject}}
	if from.Seq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from.Seq
	}
	cons, err := s.JS.OrderedConsumer(ctx, s.Stream, cfg)
	if err != nil {
		return fmt.Errorf("trainer: reading %s: %w", s, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("trainer: reading %s: %w", s, err)
	}
	if info.NumPending == 0 {
		return nil
	}
	it, err := cons.Messages(jetstream.PullMaxBytes(32<<20), jetstream.PullHeartbeat(bus.PullHeartbeat))
	if err != nil {
		return fmt.Errorf("trainer: reading %s: %w", s, err)
	}
	defer it.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		msg, err := it.Next()
		if err != nil {
			return fmt.Errorf("trainer: reading %s: %w", s, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("trainer: reading %s: %w", s, err)
		}
		seq := meta.Sequence.Stream
		pairs, err := expand(msg.Headers().Get(schemas.HeaderSchema), msg.Data())
		if err != nil {
			return fmt.Errorf("trainer: %s message %d: %w", s, seq, err)
		}
		first := 0
		if seq == from.Seq {
			first = from.Row
		}
		for i := first; i < len(pairs); i++ {
			next := Position{Pass: from.Pass, Seq: seq, Row: i + 1}
			if i+1 == len(pairs) {
				next = Position{Pass: from.Pass, Seq: seq + 1}
			}
			if err := fn(pairs[i], next); err != nil {
				return err
			}
		}
		if meta.NumPending == 0 {
			return nil
		}
	}
}

// LakeSource reads pairs or rankings from Parquet files of a lake folder, in lake order.
type LakeSource struct {
	Dir string
}

func (s *LakeSource) String() string { return s.Dir }

func (s *LakeSource) Each(ctx context.Context, from Position, fn func(schemas.Pair, Position) error) error {
	files, err := lake.Files(s.Dir)
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("trainer: no Parquet files under %s", s.Dir)
	}
	rankings := isRankings(s.Dir, files)
	for i, file := range files {
		seq := uint64(i + 1)
		if seq < from.Seq {
			continue
		}
		row := 0
		emit := func(pairs []schemas.Pair) error {
			for _, p := range pairs {
				row++
				if seq == from.Seq && row <= from.Row {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(p, Position{Pass: from.Pass, Seq: seq, Row: row}); err != nil {
					return err
				}
			}
			return nil
		}
		if rankings {
			err = lake.Scan(file, func(_ string, rows []schemas.Ranking) error { return emit(rankingPairs(rows)) })
		} else {
			err = lake.Scan(file, func(_ string, rows []schemas.Pair) error { return emit(rows) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isRankings tells a rankings dataset from a pairs one by its folder name in the lake layout
// (LAKE/rankings/source=...).
func isRankings(dir string, files []string) bool {
	for _, p := range append([]string{dir}, files[0]) {
		for _, part := range strings.Split(filepath.ToSlash(filepath.Clean(p)), "/") {
			if part == "rankings" {
				return true
			}
		}
	}
	return false
}
