package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/schemas"
)

// Dead is one message a stage gave up on, as the DLQ stream keeps it.
type Dead struct {
	Seq     uint64 // in the DLQ stream
	Subject string // dlq.<stage>.<source or run>
	Time    time.Time
	Reason  string
	Origin  string // the file and offset, or the stream, sequence and subject, it came from
	Header  nats.Header
	Data    []byte
}

// DeadLetterCounts returns how many dead letters each DLQ subject matching filter (wildcards
// allowed, AllDeadLetters for all) holds. Like every request here, it is asked again while a cluster
// elects the stream's leader.
func DeadLetterCounts(ctx context.Context, js jetstream.JetStream, filter string) (map[string]uint64, error) {
	var counts map[string]uint64
	err := retry(ctx, func(ctx context.Context) error {
		dlq, err := js.Stream(ctx, StreamDeadLetters)
		if err != nil {
			return err
		}
		info, err := dlq.Info(ctx, jetstream.WithSubjectFilter(filter))
		if err != nil {
			return err
		}
		counts = info.State.Subjects
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bus: dead letters: %w", err)
	}
	return counts, nil
}

// ReadDeadLetters hands fn the dead letters on subject (wildcards allowed), oldest first, at
// most limit of them (0: all there are when it starts).
func ReadDeadLetters(ctx context.Context, js jetstream.JetStream, subject string, limit int, fn func(Dead) error) error {
	counts, err := DeadLetterCounts(ctx, js, subject)
	if err != nil {
		return err
	}
	var total uint64
	for _, n := range counts {
		total += n
	}
	if limit > 0 {
		total = min(total, uint64(limit))
	}
	if total == 0 {
		return nil
	}
	var cons jetstream.Consumer
	err = retry(ctx, func(ctx context.Context) (err error) {
		cons, err = js.OrderedConsumer(ctx, StreamDeadLetters, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
		return err
	})
	if err != nil {
		return fmt.Errorf("bus: dead letters on %s: %w", subject, err)
	}
	for read := uint64(0); read < total; {
		batch, err := cons.Fetch(int(min(total-read, 256)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil && Transient(err) {
			// The ordered consumer starts again after the last message it delivered.
			if serr := sleep(ctx, 200*time.Millisecond); serr != nil {
				return fmt.Errorf("bus: dead letters on %s: %w", subject, errors.Join(err, serr))
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("bus: dead letters on %s: %w", subject, err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return err
			}
			h := msg.Headers()
			if err := fn(Dead{Seq: meta.Sequence.Stream, Subject: msg.Subject(), Time: meta.Timestamp,
				Reason: h.Get(schemas.HeaderReason), Origin: h.Get(schemas.HeaderOrigin), Header: h, Data: msg.Data()}); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("bus: dead letters on %s: %w", subject, err)
		}
		if got == 0 {
			return nil // deleted since counted
		}
		read += uint64(got)
	}
	return nil
}

// DeleteDeadLetter removes one dead letter, by its DLQ sequence.
func DeleteDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) error {
	askedBefore := false
	err := retry(ctx, func(ctx context.Context) error {
		dlq, err := js.Stream(ctx, StreamDeadLetters)
		if err != nil {
			return err
		}
		err = dlq.DeleteMsg(ctx, seq)
		if err != nil && askedBefore {
			// A request that timed out may have deleted it after all.
			if _, gerr := dlq.GetMsg(ctx, seq); errors.Is(gerr, jetstream.ErrMsgNotFound) {
				return nil
			}
		}
		askedBefore = true
		return err
	})
	if err != nil {
		return fmt.Errorf("bus: delete dead letter %d: %w", seq, err)
	}
	return nil
}
