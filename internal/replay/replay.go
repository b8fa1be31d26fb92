// Package replay republishes a dataset of the Parquet lake to a JetStream subject, in the order
// its rows were first streamed, as Arrow batches of the dataset's schema: to rebuild a stream, to
// feed a trainer again, or to copy a dataset into a fresh subject.
package replay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// Options of a replay.
type Options struct {
	// Dir is a dataset folder (LAKE/pairs) or one of its partitions (LAKE/pairs/source=x).
	Dir string
	// Subject receives the batches; it must belong to a stream.
	Subject string
	// Rate caps the rows published per second (0: as fast as the server takes them).
	Rate float64
	// Limit stops after this many rows (0: all).
	Limit int64
	// BatchRows caps the rows of a batch (default bus.BatchRows; with a Rate, about a quarter
	// second's worth, so the rows flow evenly). Batches also stay under bus.BatchBytes.
	BatchRows int
	// Progress, if set, hears the rows published so far, of the total to publish.
	Progress func(rows, total int64)
}

// Result of a replay.
type Result struct {
	Dataset, Schema, Stream, Subject string
	// Parts replayed and those whose stream sequences interleave with an earlier part's (their
	// rows cannot be put back in exact stream order: each part is replayed whole, in the order
	// of its first sequence).
	Parts, Overlapping int
	Rows               int64
	// Batches the server stored, and batches it already had (the same rows replayed to the same
	// subject within the duplicate window).
	Batches, Duplicates int64
	Elapsed             time.Duration
}

// part is one committed Parquet file and its manifest entry.
type part struct {
	path, rel string
	entry     lake.Entry
}

// Replay publishes the rows of o.Dir to o.Subject. Parts are replayed in the order of the first
// stream sequence each holds (across partitions, which all come from one stream), rows in file
// order (the order of their sequences within a part). Each batch's message id names the subject,
// the part's content hash and the rows it holds, so replaying the same dataset to the same subject
// again stores nothing twice within the stream's duplicate window.
func Replay(ctx context.Context, b *bus.Bus, o Options) (Result, error) {
	res := Result{Subject: o.Subject}
	if err := checkSubject(o.Subject); err != nil {
		return res, err
	}
	switch {
	case o.Rate < 0:
		return res, fmt.Errorf("replay: rate %v: want rows per second >= 0", o.Rate)
	case o.Limit < 0:
		return res, fmt.Errorf("replay: limit %d: want >= 0", o.Limit)
	case o.BatchRows < 0:
		return res, fmt.Errorf("replay: batch rows %d: want >= 0", o.BatchRows)
	}
	parts, err := findParts(o.Dir)
	if err != nil {
		return res, err
	}
	d, err := detect(o.Dir, parts)
	if err != nil {
		return res, err
	}
	res.Dataset, res.Schema = d.Name, d.Schema
	if res.Stream, err = streamOf(ctx, b, o.Subject, d); err != nil {
		return res, err
	}
	slices.SortStableFunc(parts, func(a, b part) int {
		if a.entry.FirstSeq != b.entry.FirstSeq {
			return cmp.Compare(a.entry.FirstSeq, b.entry.FirstSeq)
		}
		return strings.Compare(a.path, b.path)
	})
	var highest uint64
	for _, p := range parts {
		if p.entry.FirstSeq <= highest {
			res.Overlapping++
		}
		highest = max(highest, p.entry.LastSeq)
	}
	if o.BatchRows == 0 {
		o.BatchRows = bus.BatchRows
		if o.Rate > 0 {
			o.BatchRows = int(min(float64(bus.BatchRows), max(1, o.Rate/4)))
		}
	}
	r := &run{b: b, o: o, res: &res, pub: bus.NewPublisher(b.JS, 32), start: time.Now()}
	for _, p := range parts {
		r.total += p.entry.Rows
	}
	if o.Limit > 0 {
		r.total = min(r.total, o.Limit)
	}
	r.pub.OnAck = func(a bus.Ack) {
		if a.Duplicate {
			res.Duplicates++
		} else {
			res.Batches++
		}
	}
	for _, p := range parts {
		if r.done() {
			break
		}
		res.Parts++
		if err := d.replay(ctx, r, p); err != nil {
			return r.finish(ctx, err)
		}
	}
	return r.finish(ctx, nil)
}

// run is the state of one replay.
type run struct {
	b          *bus.Bus
	o          Options
	res        *Result
	pub        *bus.Publisher
	start      time.Time
	sent       int64 // rows handed to the publisher
	total      int64
	batchCount int
}

func (r *run) done() bool { return r.o.Limit > 0 && r.sent >= r.o.Limit }

// finish waits for the server to store everything published, and reports.
func (r *run) finish(ctx context.Context, err error) (Result, error) {
	if ferr := r.pub.Flush(ctx); err == nil {
		err = ferr
	}
	r.res.Rows = r.sent
	r.res.Elapsed = time.Since(r.start)
	return *r.res, err
}

// sized is what every lake record has: a cheap estimate of its encoded size.
type sized interface{ Size() int }

// replayPart publishes the rows of one part in batches that never span parts, so a batch's id
// (the part's hash and the batch's first row and row count) names its content.
func replayPart[T any](ctx context.Context, r *run, p part, codec *schemas.Codec[T]) error {
	var batch []T
	size := 0
	first := int64(0)
	publish := func() error {
		if len(batch) == 0 {
			return nil
		}
		data, err := codec.Encode(batch)
		if err != nil {
			return fmt.Errorf("replay: %s: %w", p.rel, err)
		}
		if err := r.send(ctx, p, data, len(batch), first); err != nil {
			return err
		}
		first += int64(len(batch))
		clear(batch)
		batch, size = batch[:0], 0
		return nil
	}
	err := lake.Scan(p.path, func(_ string, rows []T) error {
		for i := range rows {
			if r.o.Limit > 0 && r.sent+int64(len(batch)) >= r.o.Limit {
				return errLimit
			}
			n := 64
			if s, ok := any(&rows[i]).(sized); ok {
				n = s.Size()
			}
			if len(batch) > 0 && size+n > bus.BatchBytes {
				if err := publish(); err != nil {
					return err
				}
			}
			batch = append(batch, rows[i])
			size += n
			if len(batch) >= r.o.BatchRows {
				if err := publish(); err != nil {
					return err
				}
			}
		}
		return ctx.Err()
	})
	if err != nil && !errors.Is(err, errLimit) {
		if strings.HasPrefix(err.Error(), "replay: ") {
			return err
		}
		return fmt.Errorf("replay: %w", err)
	}
	return publish()
}

var errLimit = errors.New("replay: limit reached")

// send waits until the rate allows rows more rows, then publishes one encoded batch: rows
// first..first+rows-1 of part p.
func (r *run) send(ctx context.Context, p part, data []byte, rows int, first int64) error {
	if limit := r.b.MaxPayload(); len(data) > limit {
		return fmt.Errorf("replay: %s: a batch of %d rows from row %d is %d bytes, over the max payload of %d", p.rel, rows, first, len(data), limit)
	}
	if r.o.Rate > 0 {
		due := r.start.Add(time.Duration(float64(r.sent) / r.o.Rate * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, r.res.Schema)
	h.Set(schemas.HeaderRows, strconv.Itoa(rows))
	h.Set(schemas.HeaderBatch, strconv.Itoa(r.batchCount))
	h.Set(schemas.HeaderDump, p.rel)
	msgID := fmt.Sprintf("replay/%s/%s/%d+%d", r.o.Subject, p.entry.SHA256[:min(len(p.entry.SHA256), 32)], first, rows)
	if err := r.pub.Publish(ctx, r.o.Subject, msgID, data, h); err != nil {
		return err
	}
	r.batchCount++
	r.sent += int64(rows)
	if r.o.Progress != nil {
		r.o.Progress(r.sent, r.total)
	}
	return nil
}
