package rollout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/rollout/promptmsg"
	"github.com/prefstream/prefstream/schemas"
)

// Bits of Trajectory.Seq: the prompt message's stream sequence, the delivery, the row.
const (
	rowBits      = 20
	deliveryBits = 7
	streamBits   = 63 - rowBits - deliveryBits
)

// MaxPromptRows is the most prompts one message may hold.
const MaxPromptRows = promptmsg.MaxRows

var _ = [1]int{}[MaxPromptRows-1<<rowBits] // promptmsg.MaxRows must be the row field's range

// TrajectorySeq packs where a sample came from into Trajectory.Seq (see the package
// documentation): the prompt message's stream sequence, the delivery attempt (capped at 127)
// and the prompt's row in the message.
func TrajectorySeq(streamSeq, delivery uint64, row int) (int64, error) {
	switch {
	case streamSeq >= 1<<streamBits:
		return 0, fmt.Errorf("rollout: prompt stream sequence %d does not fit in %d bits", streamSeq, streamBits)
	case row < 0 || row >= MaxPromptRows:
		return 0, fmt.Errorf("rollout: prompt row %d outside 0..%d", row, MaxPromptRows-1)
	}
	delivery = min(delivery, 1<<deliveryBits-1)
	return int64(streamSeq<<(deliveryBits+rowBits) | delivery<<rowBits | uint64(row)), nil
}

// SplitTrajectorySeq is the inverse of TrajectorySeq.
func SplitTrajectorySeq(seq int64) (streamSeq, delivery uint64, row int) {
	u := uint64(seq)
	return u >> (deliveryBits + rowBits), u >> rowBits & (1<<deliveryBits - 1), int(u & (1<<rowBits - 1))
}

// BatchMsgID is the message id of the trajectories of rows first..first+rows-1 of the prompt
// message at streamSeq: the same on every delivery, so the server keeps one copy.
func BatchMsgID(run string, streamSeq uint64, first, rows int) string {
	return "rollout/" + run + "/" + strconv.FormatUint(streamSeq, 10) + "/" + strconv.Itoa(first) + "+" + strconv.Itoa(rows)
}

// batchSeed derives a batch's sampler seed (63 bits) from the worker's seed and the batch's
// place: splitmix64 over the four numbers.
func batchSeed(seed, streamSeq, delivery uint64, first int) uint64 {
	x := seed
	for _, v := range []uint64{streamSeq, delivery, uint64(first)} {
		x = mix64(x ^ mix64(v+0x9e3779b97f4a7c15))
	}
	return x >> 1
}

func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// msgInfo is what a batch needs to know of its prompt message.
type msgInfo struct {
	streamSeq, delivery uint64
	subject             string
}

func (m msgInfo) origin(row int) string {
	o := bus.StreamPrompts + ":" + strconv.FormatUint(m.streamSeq, 10) + " " + m.subject
	if row >= 0 {
		o += " row " + strconv.Itoa(row)
	}
	return o
}

// handle works through one prompt message: every batch of it stored, then the ack. It returns
// an error only when the worker cannot go on (ctx ended, the connection is closed); a message
// that failed is handed back for a retry or dead-lettered.
func (w *Worker) handle(ctx context.Context, pub *bus.Publisher, msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		w.log.Warn("prompt message without metadata; handing it back", zap.Error(err))
		_ = msg.Nak()
		return nil
	}
	w.stats.messages.Add(1)
	info := msgInfo{streamSeq: meta.Sequence.Stream, delivery: meta.NumDelivered, subject: msg.Subject()}
	if int(meta.NumDelivered) > w.o.MaxDeliver {
		reason := fmt.Sprintf("rollout: delivered %d times (max deliver %d) without being completed: the workers it went to died or stalled on it", meta.NumDelivered, w.o.MaxDeliver)
		return w.giveUp(ctx, msg, info, reason)
	}
	rows, bad, err := promptmsg.Parse(msg.Data())
	if err == nil {
		_, err = TrajectorySeq(info.streamSeq, 0, 0) // a sequence too large for the ids
	}
	if err != nil {
		return w.giveUp(ctx, msg, info, err.Error())
	}
	stop := w.heartbeat(msg)
	defer stop()
	for _, r := range bad {
		if err := w.deadLetterPrompt(ctx, info, r); err != nil {
			return w.retry(ctx, msg, info, err)
		}
	}
	for lo := 0; lo < len(rows); lo += w.o.Batch {
		if ctx.Err() != nil {
			_ = msg.Nak()
			return ctx.Err()
		}
		hi := min(lo+w.o.Batch, len(rows))
		if err := w.batch(ctx, pub, info, rows[lo:hi]); err != nil {
			return w.retry(ctx, msg, info, err)
		}
	}
	stop()
	if err := msg.DoubleAck(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Redelivered later: its batches are then dropped as duplicates.
		w.log.Warn("ack of a prompt message failed; it will come back and its batches be dropped as duplicates",
			zap.Uint64("prompt_seq", info.streamSeq), zap.Error(err))
		return w.fatal(err)
	}
	return nil
}

// heartbeat tells the server, every third of AckWait, that the message is being worked on.
func (w *Worker) heartbeat(msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(w.o.AckWait/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			close(done)
			<-finished
		}
	}
}

// retry hands a message that failed back to the server with a delay, or dead-letters it once
// it has had MaxDeliver attempts.
func (w *Worker) retry(ctx context.Context, msg jetstream.Msg, info msgInfo, cause error) error {
	if ctx.Err() != nil {
		_ = msg.Nak()
		return ctx.Err()
	}
	if err := w.fatal(cause); err != nil {
		return err
	}
	if int(info.delivery) >= w.o.MaxDeliver {
		return w.giveUp(ctx, msg, info, fmt.Sprintf("rollout: failed %d times, last: %v", info.delivery, cause))
	}
	delay := []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}[min(int(info.delivery), 3)-1]
	w.log.Warn("prompt message failed; handing it back", zap.Uint64("prompt_seq", info.streamSeq),
		zap.Uint64("delivery", info.delivery), zap.Duration("retry_in", delay), zap.Error(cause))
	if err := msg.NakWithDelay(delay); err != nil {
		return w.fatal(err)
	}
	return nil
}

// giveUp dead-letters a whole prompt message with the reason and terminates it.
func (w *Worker) giveUp(ctx context.Context, msg jetstream.Msg, info msgInfo, reason string) error {
	origin := info.origin(-1)
	w.log.Warn("dead-lettering a prompt message", zap.String("origin", origin), zap.String("reason", reason))
	if err := bus.DeadLetter(ctx, w.js, w.deadLetters(), "dlq/"+origin, msg.Data(), msg.Headers(), reason, origin); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = msg.Nak()
		return w.fatal(err)
	}
	w.countDeadLetters(1)
	if err := msg.Term(); err != nil {
		return w.fatal(err)
	}
	return nil
}

func (w *Worker) deadLetterPrompt(ctx context.Context, info msgInfo, r promptmsg.Rejected) error {
	data, err := schemas.PromptCodec.Encode([]schemas.Prompt{r.Prompt})
	if err != nil {
		return fmt.Errorf("rollout: encoding a rejected prompt: %w", err)
	}
	origin := info.origin(r.Index)
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.PromptSchema)
	if err := bus.DeadLetter(ctx, w.js, w.deadLetters(), "dlq/"+origin, data, h, r.Reason, origin); err != nil {
		return err
	}
	w.countDeadLetters(1)
	return nil
}

func (w *Worker) countDeadLetters(n int) {
	w.stats.deadLetters.Add(int64(n))
	w.m.deadLetters.Add(float64(n))
}

// fatal returns err when the worker cannot go on after it: the connection is closed.
func (w *Worker) fatal(err error) error {
	if errors.Is(err, nats.ErrConnectionClosed) || w.js.Conn().IsClosed() {
		return fmt.Errorf("rollout: %w", err)
	}
	return nil
}
