package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Limits of one batch: many records per message, about a thousand, well under the max payload.
const (
	BatchRows  = 1000
	BatchBytes = 1 << 20
)

// Ack is the server's receipt for one published message.
type Ack struct {
	Subject   string
	MsgID     string
	Sequence  uint64
	Duplicate bool
}

// Publisher publishes messages asynchronously with a bounded number in flight, retries what the
// server did not take, and reports every receipt, in publish order, to OnAck.
type Publisher struct {
	js        jetstream.JetStream
	inFlight  []inflight
	maxFlight int
	// OnAck, if set, sees every receipt in publish order.
	OnAck func(Ack)
	// Published counts messages and bytes the server has stored (duplicates included).
	Messages, Bytes int64
}

type inflight struct {
	msg    *nats.Msg
	future jetstream.PubAckFuture
}

// NewPublisher returns a publisher keeping at most maxInFlight messages unacknowledged
// (which bounds its memory at maxInFlight times the message size).
func NewPublisher(js jetstream.JetStream, maxInFlight int) *Publisher {
	return &Publisher{js: js, maxFlight: max(maxInFlight, 1)}
}

// Publish sends data to subject with the deterministic id msgID (the server drops a second
// message with the same id) and the given headers.
func (p *Publisher) Publish(ctx context.Context, subject, msgID string, data []byte, header nats.Header) error {
	msg := &nats.Msg{Subject: subject, Data: data, Header: header}
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	if msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	for len(p.inFlight) >= p.maxFlight {
		if err := p.settleOldest(ctx); err != nil {
			return err
		}
	}
	future, err := p.publishAsync(ctx, msg)
	if err != nil {
		return err
	}
	p.inFlight = append(p.inFlight, inflight{msg: msg, future: future})
	return nil
}

func (p *Publisher) publishAsync(ctx context.Context, msg *nats.Msg) (jetstream.PubAckFuture, error) {
	for attempt, wait := 0, 10*time.Millisecond; ; attempt, wait = attempt+1, min(2*wait, time.Second) {
		future, err := p.js.PublishMsgAsync(msg, jetstream.WithStallWait(time.Second))
		if err == nil {
			return future, nil
		}
		// Stalled: too many acks outstanding. Or the connection broke under the write (a node
		// died) and the client is reconnecting to another: the message id makes a re-send safe.
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) && (attempt >= 40 || !connectionLost(err)) {
			return nil, fmt.Errorf("bus: publish %s: %w", msg.Subject, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// connectionLost reports whether err is the connection breaking, which the client repairs by
// reconnecting, rather than something no retry fixes.
func connectionLost(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, nats.ErrReconnectBufExceeded) || errors.Is(err, nats.ErrStaleConnection)
}

// Flush waits until the server has acknowledged everything published so far.
func (p *Publisher) Flush(ctx context.Context) error {
	for len(p.inFlight) > 0 {
		if err := p.settleOldest(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (p *Publisher) settleOldest(ctx context.Context) error {
	f := p.inFlight[0]
	var ack *jetstream.PubAck
	select {
	case ack = <-f.future.Ok():
	case err := <-f.future.Err():
		var rerr error
		if ack, rerr = p.publishSync(ctx, f.msg); rerr != nil {
			return fmt.Errorf("bus: publish %s after %v: %w", f.msg.Subject, err, rerr)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	p.inFlight[0] = inflight{}
	p.inFlight = p.inFlight[1:]
	p.Messages++
	p.Bytes += int64(len(f.msg.Data))
	if p.OnAck != nil {
		p.OnAck(Ack{Subject: f.msg.Subject, MsgID: f.msg.Header.Get(jetstream.MsgIDHeader), Sequence: ack.Sequence, Duplicate: ack.Duplicate})
	}
	return nil
}

// publishSync retries one message until the server takes it; the message id makes this safe.
func (p *Publisher) publishSync(ctx context.Context, msg *nats.Msg) (*jetstream.PubAck, error) {
	var err error
	for attempt, wait := 0, 100*time.Millisecond; attempt < 8; attempt, wait = attempt+1, min(2*wait, 3*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var ack *jetstream.PubAck
		ack, err = p.js.PublishMsg(actx, msg)
		cancel()
		if err == nil {
			return ack, nil
		}
		if permanent(err) {
			return nil, err
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, serr
		}
	}
	return nil, err
}

// errDuplicateInProcess is the server's answer to a message whose id it is still storing from
// an earlier send (a re-send after the connection broke under the first one): ask again, and it
// answers "duplicate" once the first is stored, or stores this one if the first was lost.
const errDuplicateInProcess jetstream.ErrorCode = 10158

// permanent reports whether a publish failed for a reason no re-send fixes.
func permanent(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.Code == 408 || apiErr.ErrorCode == errDuplicateInProcess) {
		return false
	}
	return errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrPermissionViolation) ||
		(apiErr != nil && apiErr.Code >= 400 && apiErr.Code < 500)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
