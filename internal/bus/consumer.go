package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/schemas"
)

// ConsumerSpec is a durable pull consumer with explicit acks.
type ConsumerSpec struct {
	Stream         string
	Durable        string
	FilterSubjects []string
	// MaxAckPending bounds the messages handed out and not yet acked.
	MaxAckPending int
	// MaxDeliver attempts before a message goes to the dead letters.
	MaxDeliver int
	// BackOff between redeliveries after a failed attempt.
	BackOff []time.Duration
	// AckWait before an unacked message is redelivered (handlers that run long call InProgress).
	AckWait time.Duration
	// PullMaxBytes bounds what the client buffers; it must exceed the largest message.
	PullMaxBytes int
	// DeadLetters is the subject that receives what cannot be handled.
	DeadLetters string
	// OnIdle, if set, runs whenever no message arrived for IdleAfter (sinks commit then).
	OnIdle    func(context.Context) error
	IdleAfter time.Duration

	startSeq uint64
}

// Handler processes one message. It returns nil once it has acked the message or taken charge of
// acking it later; an error makes Consume retry the message with back-off, or dead-letter it
// when the error is Permanent or the attempts are used up.
type Handler func(ctx context.Context, msg jetstream.Msg) error

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks an error that no retry can fix.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanentError)) }

// CreateConsumer creates or updates the durable consumer of spec.
func CreateConsumer(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:        spec.Durable,
		FilterSubjects: spec.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        spec.AckWait,
		MaxAckPending:  spec.MaxAckPending,
		MaxDeliver:     -1, // Consume counts attempts itself, so the last one is dead-lettered.
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if spec.startSeq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, spec.startSeq
	} else if existing, err := js.Consumer(ctx, spec.Stream, spec.Durable); err == nil {
		// Where a consumer starts cannot change; keep the existing one's (see ReclaimPending).
		cfg.DeliverPolicy, cfg.OptStartSeq = existing.CachedInfo().Config.DeliverPolicy, existing.CachedInfo().Config.OptStartSeq
	}
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = js.CreateOrUpdateConsumer(ctx, spec.Stream, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bus: consumer %s on %s: %w", spec.Durable, spec.Stream, err)
	}
	return cons, nil
}

// PullHeartbeat is how often the server tells a waiting pull it is still there. After two
// missed, nats.go pulls again: on a cluster, a consumer leader that died takes the pull requests
// waiting on it along, and with nats.go's default (half the 30 s expiry) the consumer would sit
// idle for 30 s before asking its new leader.
const PullHeartbeat = 2 * time.Second

// Consume runs handle on every message of the consumer until ctx is done.
func Consume(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec, handle Handler) error {
	cons, err := CreateConsumer(ctx, js, spec)
	if err != nil {
		return err
	}
	opts := []jetstream.PullMessagesOpt{jetstream.PullHeartbeat(PullHeartbeat)}
	if spec.PullMaxBytes > 0 {
		opts = append(opts, jetstream.PullMaxBytes(spec.PullMaxBytes))
	}
	iter, err := cons.Messages(opts...)
	if err != nil {
		return fmt.Errorf("bus: consume %s: %w", spec.Durable, err)
	}
	pulled := pull(ctx, iter)
	defer pulled.stop()
	var idle <-chan time.Time
	for {
		if spec.OnIdle != nil {
			idle = time.After(max(spec.IdleAfter, 100*time.Millisecond))
		}
		var p pulledMsg
		select {
		case p = <-pulled.msgs:
		case <-idle:
			if err := spec.OnIdle(ctx); err != nil {
				return err
			}
			continue
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.err != nil {
			if ctx.Err() != nil || errors.Is(p.err, jetstream.ErrMsgIteratorClosed) {
				return ctx.Err()
			}
			return fmt.Errorf("bus: consume %s: %w", spec.Durable, p.err)
		}
		if err := handle(ctx, p.msg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if ferr := fail(ctx, js, spec, p.msg, err); ferr != nil {
				return ferr
			}
		}
	}
}

type pulledMsg struct {
	msg jetstream.Msg
	err error
}

// puller waits on the iterator in a goroutine of its own, so that each wait is one long Next call:
// nats.go watches a pull's heartbeats only within a Next call, and pulls again after two missed
// only then, which short waits for idle callbacks would never let happen.
type puller struct {
	msgs chan pulledMsg
	iter jetstream.MessagesContext
	done chan struct{}
	wg   sync.WaitGroup
}

func pull(ctx context.Context, iter jetstream.MessagesContext) *puller {
	p := &puller{msgs: make(chan pulledMsg), iter: iter, done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			msg, err := iter.Next()
			if errors.Is(err, jetstream.ErrNoHeartbeat) && ctx.Err() == nil {
				// The server went quiet: a stream or consumer leader changed, or the client is
				// reconnecting to another node. The iterator pulls again by itself.
				continue
			}
			select {
			case p.msgs <- pulledMsg{msg, err}:
			case <-p.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

// stop ends the wait and returns once the goroutine has.
func (p *puller) stop() {
	close(p.done)
	p.iter.Stop()
	p.wg.Wait()
}

func fail(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec, msg jetstream.Msg, cause error) error {
	meta, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("bus: metadata of a %s message: %w", spec.Durable, err)
	}
	attempts := int(meta.NumDelivered)
	if IsPermanent(cause) || (spec.MaxDeliver > 0 && attempts >= spec.MaxDeliver) {
		origin := fmt.Sprintf("%s:%d %s", meta.Stream, meta.Sequence.Stream, msg.Subject())
		if err := DeadLetter(ctx, js, spec.DeadLetters, "dlq/"+origin, msg.Data(), msg.Headers(), cause.Error(), origin); err != nil {
			return err
		}
		return msg.Term()
	}
	delay := time.Second
	if n := len(spec.BackOff); n > 0 {
		delay = spec.BackOff[min(attempts-1, n-1)]
	}
	return msg.NakWithDelay(delay)
}

// DeadLetter stores data with its reason and origin on subject. msgID makes a repeated dead
// letter of the same thing (after a restart) a duplicate the server drops.
func DeadLetter(ctx context.Context, js jetstream.JetStream, subject, msgID string, data []byte, header nats.Header, reason, origin string) error {
	h := nats.Header{}
	for k, v := range header {
		h[k] = v
	}
	h.Set(jetstream.MsgIDHeader, msgID)
	h.Set(schemas.HeaderReason, reason)
	h.Set(schemas.HeaderOrigin, origin)
	msg := &nats.Msg{Subject: subject, Data: data, Header: h}
	err := retry(ctx, func(ctx context.Context) error {
		_, err := js.PublishMsg(ctx, msg)
		return err
	})
	if err != nil {
		return fmt.Errorf("bus: dead-letter to %s (%s): %w", subject, reason, err)
	}
	return nil
}

// ReclaimPending hands back, at once, the messages a consumer delivered to a process that died
// (they would otherwise wait out AckWait). It is only safe when no other process can hold them,
// so it acts only on an embedded server that accepts no outside clients: the consumer is
// recreated to start just after its ack floor. Handlers must tolerate a redelivery of a message
// acked above the floor (the sink skips committed sequences; a work queue has deleted them).
func (b *Bus) ReclaimPending(ctx context.Context, spec ConsumerSpec) error {
	if b.Server == nil { // Connect starts its embedded server for in-process clients only
		return nil
	}
	cons, err := b.JS.Consumer(ctx, spec.Stream, spec.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bus: reclaim %s: %w", spec.Durable, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("bus: reclaim %s: %w", spec.Durable, err)
	}
	if info.NumAckPending == 0 {
		return nil
	}
	if err := b.JS.DeleteConsumer(ctx, spec.Stream, spec.Durable); err != nil {
		return fmt.Errorf("bus: reclaim %s: %w", spec.Durable, err)
	}
	if stream, serr := b.JS.Stream(ctx, spec.Stream); serr == nil && stream.CachedInfo().Config.Retention != jetstream.WorkQueuePolicy {
		spec.startSeq = info.AckFloor.Stream + 1 // a work queue has deleted what was acked
	}
	_, err = CreateConsumer(ctx, b.JS, spec)
	return err
}
