package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"runtime"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// Checkpoint is what a Batcher remembers of one dump, so a killed ingest resumes where it
// stopped: the input position of its last flush, and per bucket the next batch number and the
// stream sequences published so far.
type Checkpoint struct {
	Dump     string   `json:"dump"`
	Identity string   `json:"identity"`
	Position int64    `json:"position"`
	Buckets  int      `json:"buckets"`
	Batches  []int    `json:"batches"`
	FirstSeq []uint64 `json:"first_seq"`
	LastSeq  []uint64 `json:"last_seq"`
	Counts   Counts   `json:"counts"`
	Done     bool     `json:"done"`
}

// Counts are a dump's running totals.
type Counts struct {
	Documents   int64 `json:"documents"`
	Skipped     int64 `json:"skipped"`
	DeadLetters int64 `json:"dead_letters"`
	Bytes       int64 `json:"bytes"`
}

const (
	// bufferedBytes caps what all buckets hold unpublished together, so memory does not grow
	// with the number of buckets.
	bufferedBytes = 32 << 20
	// BucketInputBytes is the input size per bucket: a featurize job holds about this much.
	BucketInputBytes = 32 << 20
)

// BucketsFor picks the bucket count of a dump of size bytes (unknown: -1).
func BucketsFor(size int64) int {
	if size <= 0 {
		return 16
	}
	return int(min(max((size+BucketInputBytes-1)/BucketInputBytes, 1), 4096))
}

// Batcher publishes the Documents of one dump.
type Batcher struct {
	b          *bus.Bus
	source     string
	pub        *bus.Publisher
	state      bus.State
	key        string
	cp         Checkpoint
	subjects   []string
	buckets    map[string]int
	pending    [][]schemas.Document
	pendingLen []int
	buffered   int
	maxDoc     int
	metrics    sourceMetrics
	// Batches are encoded by encoders goroutines while the input is read, and published in
	// the order they were queued by one more: encoding a batch costs about as much as reading
	// it, so one encoder would hold the reader back.
	queue   chan *batch
	encode  chan *batch
	done    chan struct{}
	err     error
	workers sync.WaitGroup
}

// batch is one unit of work: documents to encode and publish, or a barrier (flushed) that the
// publishing goroutine answers once everything before it is stored.
type batch struct {
	subject, msgID string
	header         nats.Header
	docs           []schemas.Document
	data           []byte // encoded: by an encoder, or already when docs is nil
	err            error
	encoded        chan struct{} // closed when data or err is set
	flushed        chan error
}

// encoders is how many goroutines encode batches.
func encoders() int { return min(runtime.GOMAXPROCS(0), 4) }

// OpenBatcher loads the checkpoint of dump (identified by identity, which changes when the input
// files change) or starts a new one with buckets buckets.
func OpenBatcher(ctx context.Context, b *bus.Bus, source, dump, identity string, buckets int) (*Batcher, error) {
	state, err := b.OpenState(ctx, bus.BucketCheckpoints)
	if err != nil {
		return nil, err
	}
	bt := &Batcher{b: b, source: source, state: state, key: source + "/" + identity, maxDoc: b.MaxPayload() - 64<<10,
		metrics: metricsOf(source)}
	found, err := state.Load(ctx, bt.key, &bt.cp)
	if err != nil {
		return nil, err
	}
	if !found || bt.cp.Buckets <= 0 {
		bt.cp = Checkpoint{Dump: dump, Identity: identity, Buckets: buckets, Batches: make([]int, buckets),
			FirstSeq: make([]uint64, buckets), LastSeq: make([]uint64, buckets)}
	}
	n := bt.cp.Buckets
	bt.buckets = make(map[string]int, n)
	for k := 0; k < n; k++ {
		bt.subjects = append(bt.subjects, bus.RawSubject(source, bt.cp.Dump, k))
		bt.buckets[bt.subjects[k]] = k
	}
	bt.pending = make([][]schemas.Document, n)
	bt.pendingLen = make([]int, n)
	bt.pub = bus.NewPublisher(b.JS, 32)
	bt.pub.OnAck = bt.record
	e := encoders()
	bt.queue, bt.encode, bt.done = make(chan *batch, 2*e+2), make(chan *batch, 2*e+2), make(chan struct{})
	bt.workers.Add(e)
	for range e {
		go bt.encodeBatches()
	}
	go bt.publishBatches(ctx)
	return bt, nil
}

// encodeBatches runs in each encoder goroutine.
func (bt *Batcher) encodeBatches() {
	defer bt.workers.Done()
	for it := range bt.encode {
		it.data, it.err = schemas.DocumentCodec.Encode(it.docs)
		recycleDocuments(it.docs)
		it.docs = nil
		close(it.encoded)
	}
}

// documentSlices recycles the slices batches are gathered in, once encoded: a batch's slice
// is a few hundred KiB of Documents, which the GC would otherwise scan and free every time.
var documentSlices = sync.Pool{New: func() any { s := make([]schemas.Document, 0, bus.BatchRows); return &s }}

func recycleDocuments(docs []schemas.Document) {
	clear(docs)
	docs = docs[:0]
	documentSlices.Put(&docs)
}

func newDocuments() []schemas.Document { return (*documentSlices.Get().(*[]schemas.Document))[:0] }

// publishBatches runs in its own goroutine: it owns the publisher, and publishes the batches in
// the order they were queued.
func (bt *Batcher) publishBatches(ctx context.Context) {
	defer close(bt.done)
	var failed error
	for it := range bt.queue {
		if it.flushed != nil {
			if failed == nil {
				failed = bt.pub.Flush(ctx)
			}
			it.flushed <- failed
			continue
		}
		if it.encoded != nil {
			<-it.encoded
		}
		if failed != nil {
			continue
		}
		failed = it.err
		if failed == nil {
			failed = bt.pub.Publish(ctx, it.subject, it.msgID, it.data, it.header)
		}
	}
}

// hand queues a batch for publishing, and for encoding first when it carries documents.
func (bt *Batcher) hand(ctx context.Context, it *batch) error {
	if it.docs != nil {
		it.encoded = make(chan struct{})
	}
	select {
	case bt.queue <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	if it.encoded != nil {
		bt.encode <- it // never blocks for long: encoders take work until the queue is full
	}
	return nil
}

// sync waits until every batch handed over so far is stored.
func (bt *Batcher) sync() error {
	if bt.err != nil {
		return bt.err
	}
	flushed := make(chan error, 1)
	bt.queue <- &batch{flushed: flushed}
	bt.err = <-flushed
	return bt.err
}

// Close stops the encoding and publishing goroutines; call it when done with the batcher.
func (bt *Batcher) Close() {
	if bt.queue != nil {
		close(bt.queue)
		close(bt.encode)
		bt.workers.Wait()
		<-bt.done
		bt.queue = nil
	}
}

// Checkpoint is the state the batcher resumed from or last stored.
func (bt *Batcher) Checkpoint() Checkpoint { return bt.cp }

// Counts are the dump's running totals; callers add skips and bytes to them.
func (bt *Batcher) Counts() *Counts { return &bt.cp.Counts }

// BucketOf maps a thread key to its bucket.
func (bt *Batcher) BucketOf(thread string) int {
	h := fnv.New32a()
	h.Write([]byte(thread))
	return int(h.Sum32() % uint32(bt.cp.Buckets))
}

// Add queues one document; a too large one is dead-lettered instead.
func (bt *Batcher) Add(ctx context.Context, d schemas.Document) error {
	size := d.Size()
	if size > bt.maxDoc {
		reason := fmt.Sprintf("document %s of %d bytes exceeds the max payload", d.ID, size)
		d.Text = truncate(d.Text, 4<<10)
		return bt.DeadLetter(ctx, reason, fmt.Sprintf("%s:%d", d.SourceFile, d.Offset), d)
	}
	k := bt.BucketOf(d.ThreadID)
	bt.pending[k] = append(bt.pending[k], d)
	bt.pendingLen[k] += size
	bt.buffered += size
	bt.cp.Counts.Documents++
	bt.metrics.documents.Inc()
	if len(bt.pending[k]) >= bus.BatchRows || bt.pendingLen[k] >= bus.BatchBytes {
		return bt.publish(ctx, k)
	}
	for bt.buffered > bufferedBytes {
		if err := bt.publish(ctx, bt.largest()); err != nil {
			return err
		}
	}
	return nil
}

func (bt *Batcher) largest() int {
	best := 0
	for k, n := range bt.pendingLen {
		if n > bt.pendingLen[best] {
			best = k
		}
	}
	return best
}

func (bt *Batcher) publish(ctx context.Context, k int) error {
	docs := bt.pending[k]
	if len(docs) == 0 {
		return nil
	}
	if bt.err != nil {
		return bt.err
	}
	n := bt.cp.Batches[k]
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.DocumentSchema)
	h.Set(schemas.HeaderDump, bt.cp.Dump)
	h.Set(schemas.HeaderBatch, strconv.Itoa(n))
	h.Set(schemas.HeaderRows, strconv.Itoa(len(docs)))
	msgID := fmt.Sprintf("raw/%s/%s/%d/%d", bt.source, bt.cp.Identity, k, n)
	if err := bt.hand(ctx, &batch{subject: bt.subjects[k], msgID: msgID, header: h, docs: docs}); err != nil {
		return err
	}
	bt.cp.Batches[k]++
	bt.buffered -= bt.pendingLen[k]
	bt.pending[k] = newDocuments()
	bt.pendingLen[k] = 0
	return nil
}

// record notes the stream sequence of each stored batch, in publish order.
func (bt *Batcher) record(a bus.Ack) {
	k, ok := bt.buckets[a.Subject]
	if !ok {
		return
	}
	if bt.cp.FirstSeq[k] == 0 || a.Sequence < bt.cp.FirstSeq[k] {
		bt.cp.FirstSeq[k] = a.Sequence
	}
	bt.cp.LastSeq[k] = max(bt.cp.LastSeq[k], a.Sequence)
}

// Flush publishes every partial batch, waits for the server to store them all, and stores the
// checkpoint at input position: after a crash, reading resumes from there.
func (bt *Batcher) Flush(ctx context.Context, position int64) error {
	for k := range bt.pending {
		if err := bt.publish(ctx, k); err != nil {
			return err
		}
	}
	if err := bt.sync(); err != nil {
		return err
	}
	bt.cp.Position = position
	return bt.state.Store(ctx, bt.key, bt.cp)
}

// Finish flushes what is left and queues the dump's grouping job for featurize.
func (bt *Batcher) Finish(ctx context.Context, position int64) error {
	if err := bt.Flush(ctx, position); err != nil {
		return err
	}
	job := schemas.Job{Source: bt.source, Dump: bt.cp.Dump, Subjects: bus.RawSubjects(bt.source, bt.cp.Dump), Batches: bt.cp.Batches}
	for k := range bt.cp.Batches {
		if bt.cp.Batches[k] == 0 {
			continue
		}
		if job.FirstSeq == 0 || bt.cp.FirstSeq[k] < job.FirstSeq {
			job.FirstSeq = bt.cp.FirstSeq[k]
		}
		job.LastSeq = max(job.LastSeq, bt.cp.LastSeq[k])
	}
	if job.FirstSeq > 0 {
		data, _ := json.Marshal(job)
		h := nats.Header{}
		h.Set(schemas.HeaderSchema, schemas.JobSchema)
		h.Set(schemas.HeaderDump, bt.cp.Dump)
		if err := bt.hand(ctx, &batch{subject: bus.JobSubject("featurize", bt.source), msgID: "job/" + bt.cp.Identity, header: h, data: data}); err != nil {
			return err
		}
	}
	if err := bt.sync(); err != nil {
		return err
	}
	bt.cp.Done = true
	return bt.state.Store(ctx, bt.key, bt.cp)
}

// DeadLetter records a document or row the ingest could not use, with the reason.
func (bt *Batcher) DeadLetter(ctx context.Context, reason, origin string, d schemas.Document) error {
	d.Source, d.Dump = bt.source, bt.cp.Dump
	data, err := schemas.DocumentCodec.Encode([]schemas.Document{d})
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.DocumentSchema)
	h.Set(schemas.HeaderDump, bt.cp.Dump)
	bt.cp.Counts.DeadLetters++
	bt.metrics.deadLetters.Inc()
	return bus.DeadLetter(ctx, bt.b.JS, bus.DeadLetterSubject("ingest", bt.source), "dlq/"+bt.cp.Identity+"/"+origin, data, h, reason, origin)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
