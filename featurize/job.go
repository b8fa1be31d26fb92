package featurize

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

var (
	jobsDone     = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_featurize_jobs_total", Help: "Grouping jobs completed."}, []string{"source"})
	pairsOut     = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_featurize_pairs_total", Help: "Pairs published."}, []string{"source"})
	rejectsOut   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_featurize_dead_letters_total", Help: "Documents dead-lettered by featurize."}, []string{"source"})
	threadsSkips = promauto.NewCounterVec(prometheus.CounterOpts{Name: "prefstream_featurize_threads_skipped_total", Help: "Threads that gave no pair, by reason."}, []string{"source", "reason"})
)

// JobStats summarises one job.
type JobStats struct {
	Documents, Threads, Pairs, Rejects int
	// BucketsSkipped were finished by an earlier attempt of the job.
	BucketsSkipped int
}

func (s *JobStats) add(o JobStats) {
	s.Documents += o.Documents
	s.Threads += o.Threads
	s.Pairs += o.Pairs
	s.Rejects += o.Rejects
	s.BucketsSkipped += o.BucketsSkipped
}

type progress struct {
	Published int  `json:"published"`
	Done      bool `json:"done"`
}

// worker runs jobs with one recipe per source.
type worker struct {
	b       *bus.Bus
	recipes map[string]Recipe
	log     *zap.Logger
	buckets int
	tmpDir  string
}

// run processes one job. It copies the dump's batches from RAW to a local spill file in one
// sequential pass (a sequential read lets the server drop each block from its cache as soon as
// it is read, where one filtered pass per bucket would load every block once per bucket), then
// pairs the buckets, w.buckets at a time. heartbeat keeps the job from being redelivered.
func (w *worker) run(ctx context.Context, job schemas.Job, heartbeat func()) (JobStats, error) {
	var st JobStats
	var recipe ThreadRecipe
	switch r := w.recipes[job.Source].(type) {
	case StreamRecipe:
		return w.runStream(ctx, job, r, heartbeat)
	case ThreadRecipe:
		recipe = r
	default:
		return st, bus.Permanent(fmt.Errorf("featurize: no recipe for source %q", job.Source))
	}
	sp, err := w.spill(ctx, job, heartbeat)
	if err != nil {
		return st, err
	}
	defer sp.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	results := make(chan error, w.buckets)
	var mu sync.Mutex
	for i := 0; i < w.buckets; i++ {
		go func() {
			var err error
			var arena schemas.Arena // a bucket's documents, until its pairs are published
			for k := range next {
				if err != nil {
					continue
				}
				var bst JobStats
				bst, err = w.pairBucket(ctx, job, k, sp, &arena, recipe, heartbeat)
				arena.Reset()
				mu.Lock()
				st.add(bst)
				mu.Unlock()
				if err != nil {
					cancel()
				}
			}
			results <- err
		}()
	}
	for k := range job.Batches {
		if job.Batches[k] > 0 {
			select {
			case next <- k:
			case <-ctx.Done():
			}
		}
	}
	close(next)
	for i := 0; i < w.buckets; i++ {
		if e := <-results; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return st, err
	}
	pairsOut.WithLabelValues(job.Source).Add(float64(st.Pairs))
	rejectsOut.WithLabelValues(job.Source).Add(float64(st.Rejects))
	jobsDone.WithLabelValues(job.Source).Inc()
	return st, nil
}

// pairBucket groups one bucket's documents by thread and publishes the pairs of every thread.
// The bucket's documents are decoded into arena, which the caller resets once it returns: by
// then every pair is published (encoded) and every rejected document dead-lettered.
func (w *worker) pairBucket(ctx context.Context, job schemas.Job, k int, sp *spill, arena *schemas.Arena, recipe ThreadRecipe, heartbeat func()) (JobStats, error) {
	var st JobStats
	out, err := w.openOutput(ctx, job, k)
	if err != nil {
		return st, err
	}
	if out.done.Done {
		st.BucketsSkipped++
		return st, nil
	}
	threads, err := sp.bucket(k, arena, &st)
	if err != nil {
		return st, err
	}
	var docs []schemas.Document
	for i := range threads.spans {
		docs = threads.thread(i, docs[:0])
		pairs, rejects, skipped := recipe.Thread(docs)
		st.Threads++
		if skipped != "" {
			threadsSkips.WithLabelValues(job.Source, skipped).Inc()
		}
		for _, r := range rejects {
			if err := out.reject(ctx, r); err != nil {
				return st, err
			}
		}
		st.Rejects += len(rejects)
		for _, p := range pairs {
			if err := out.add(ctx, p); err != nil {
				return st, err
			}
		}
		st.Pairs += len(pairs)
		if i%1024 == 0 {
			heartbeat()
		}
	}
	return st, out.close(ctx)
}

// runStream pairs a single-bucket job whose documents arrive grouped by thread and in order,
// straight from the stream, batches put back in batch order. The next batches are decoded on
// another goroutine while one is paired.
func (w *worker) runStream(ctx context.Context, job schemas.Job, recipe StreamRecipe, heartbeat func()) (JobStats, error) {
	var st JobStats
	if len(job.Batches) != 1 {
		return st, bus.Permanent(fmt.Errorf("featurize: %s is paired as a stream and needs one bucket, the job has %d", job.Source, len(job.Batches)))
	}
	out, err := w.openOutput(ctx, job, 0)
	if err != nil || out.done.Done {
		st.BucketsSkipped++
		return st, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	decoded := make(chan decodedBatch, 2)
	read := make(chan error, 1)
	go func() {
		read <- decodeInOrder(ctx, w.b, job, heartbeat, decoded)
		close(decoded)
	}()
	var (
		thread  string
		pairsOf func(schemas.Document) []schemas.Pair
	)
	for batch := range decoded {
		if batch.err != nil {
			return st, batch.err
		}
		for _, d := range batch.docs {
			if pairsOf == nil || d.ThreadID != thread {
				thread, pairsOf = d.ThreadID, recipe.NewThread()
				st.Threads++
			}
			for _, p := range pairsOf(d) {
				if err := out.add(ctx, p); err != nil {
					return st, err // the deferred cancel stops the decoding goroutine
				}
				st.Pairs++
			}
		}
		st.Documents += len(batch.docs)
	}
	if err := <-read; err != nil {
		return st, err
	}
	if err := out.close(ctx); err != nil {
		return st, err
	}
	pairsOut.WithLabelValues(job.Source).Add(float64(st.Pairs))
	jobsDone.WithLabelValues(job.Source).Inc()
	return st, nil
}

// decodedBatch is one batch of a stream job, decoded, or why it could not be.
type decodedBatch struct {
	docs []schemas.Document
	err  error
}

// decodeInOrder reads a single-bucket job's batches, puts them back in batch order and sends
// each one decoded. It returns when all are sent, at the first error (sent too), or when ctx is
// done.
func decodeInOrder(ctx context.Context, b *bus.Bus, job schemas.Job, heartbeat func(), out chan<- decodedBatch) error {
	next, early := 0, map[int][]byte{}
	return readBatches(ctx, b, job, heartbeat, func(_, batch int, data []byte) error {
		early[batch] = data
		for data, ok := early[next]; ok; data, ok = early[next] {
			delete(early, next)
			next++
			docs, err := schemas.DocumentCodec.Decode(data)
			if err != nil {
				err = bus.Permanent(fmt.Errorf("featurize: batch %d of %s: %w", next-1, job.Dump, err))
			}
			select {
			case out <- decodedBatch{docs, err}:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// spill is a local copy of one job's batches, with where each bucket's batches are.
type spill struct {
	f     *os.File
	spans [][]span
}

type span struct {
	off int64
	n   int
}

// spill reads the job's batches from RAW in stream order, skipping batches of other dumps and
// batches seen twice, and appends them to a temp file.
func (w *worker) spill(ctx context.Context, job schemas.Job, heartbeat func()) (*spill, error) {
	f, err := os.CreateTemp(w.tmpDir, "prefstream-featurize-*.spill")
	if err != nil {
		return nil, fmt.Errorf("featurize: spill file: %w", err)
	}
	sp := &spill{f: f, spans: make([][]span, len(job.Batches))}
	if err := sp.fill(ctx, w.b, job, heartbeat); err != nil {
		sp.close()
		return nil, err
	}
	return sp, nil
}

func (sp *spill) fill(ctx context.Context, b *bus.Bus, job schemas.Job, heartbeat func()) error {
	w := bufio.NewWriterSize(sp.f, 1<<20)
	var off int64
	err := readBatches(ctx, b, job, heartbeat, func(k, _ int, data []byte) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("featurize: spill: %w", err)
		}
		sp.spans[k] = append(sp.spans[k], span{off, len(data)})
		off += int64(len(data))
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("featurize: spill: %w", err)
	}
	return nil
}

// readBatches hands every batch of the job to fn once, in stream order, skipping batches of
// other dumps and batches stored twice.
func readBatches(ctx context.Context, b *bus.Bus, job schemas.Job, heartbeat func(), fn func(bucket, batch int, data []byte) error) error {
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamRaw, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{job.Subjects}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: job.FirstSeq,
	})
	if err != nil {
		return fmt.Errorf("featurize: read %s: %w", job.Subjects, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxBytes(16<<20), jetstream.PullHeartbeat(bus.PullHeartbeat))
	if err != nil {
		return fmt.Errorf("featurize: read %s: %w", job.Subjects, err)
	}
	defer iter.Stop()
	seen := make([]map[int]bool, len(job.Batches))
	got, want := 0, 0
	for _, n := range job.Batches {
		want += n
	}
	for got < want {
		msg, err := iter.Next(jetstream.NextMaxWait(30 * time.Second))
		if err != nil {
			return fmt.Errorf("featurize: read %s after %d of %d batches: %w", job.Subjects, got, want, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("featurize: read %s: %w", job.Subjects, err)
		}
		k, batch, ok := batchOf(msg, job)
		if ok && !seen[k][batch] {
			if seen[k] == nil {
				seen[k] = map[int]bool{}
			}
			seen[k][batch] = true
			if err := fn(k, batch, msg.Data()); err != nil {
				return err
			}
			got++
		}
		heartbeat()
		if meta.Sequence.Stream >= job.LastSeq && got < want {
			return fmt.Errorf("featurize: RAW holds %d of the %d batches of %s up to sequence %d", got, want, job.Dump, job.LastSeq)
		}
	}
	return nil
}

// batchOf reads which bucket and batch of the job a message is; ok is false for other dumps.
func batchOf(msg jetstream.Msg, job schemas.Job) (bucket, batch int, ok bool) {
	if msg.Headers().Get(schemas.HeaderDump) != job.Dump {
		return 0, 0, false
	}
	subject := msg.Subject()
	bucket, err := strconv.Atoi(subject[strings.LastIndexByte(subject, '.')+1:])
	if err != nil || bucket < 0 || bucket >= len(job.Batches) {
		return 0, 0, false
	}
	batch, err = strconv.Atoi(msg.Headers().Get(schemas.HeaderBatch))
	return bucket, batch, err == nil && batch >= 0 && batch < job.Batches[bucket]
}

// bucket decodes bucket k's documents, grouped by thread.
func (sp *spill) bucket(k int, arena *schemas.Arena, st *JobStats) (*threads, error) {
	batches := make([][]schemas.Document, 0, len(sp.spans[k]))
	for _, s := range sp.spans[k] {
		data := arena.Allocate(s.n)
		if _, err := sp.f.ReadAt(data, s.off); err != nil {
			return nil, fmt.Errorf("featurize: spill %s: %w", sp.f.Name(), err)
		}
		docs, err := schemas.DocumentCodec.DecodeIn(arena, nil, data)
		if err != nil {
			return nil, bus.Permanent(fmt.Errorf("featurize: a batch of bucket %d: %w", k, err))
		}
		batches = append(batches, docs)
		st.Documents += len(docs)
	}
	return groupThreads(batches), nil
}

// threads is one bucket's documents grouped by thread, the threads in the order of their keys
// and the documents of each in the order they were read.
type threads struct {
	batches [][]schemas.Document
	order   []docRef // thread after thread
	spans   []int32  // where each thread ends in order
}

// docRef is where a document is: batches[batch][row].
type docRef struct{ batch, row int32 }

// groupThreads sorts the documents of batches into threads by counting: one map lookup per
// document, then one sort of the distinct keys.
func groupThreads(batches [][]schemas.Document) *threads {
	ordinal := make(map[string]int32)
	var keys []string
	var counts []int32
	n := 0
	for _, docs := range batches {
		n += len(docs)
	}
	of := make([]int32, 0, n)
	for _, docs := range batches {
		for i := range docs {
			o, ok := ordinal[docs[i].ThreadID]
			if !ok {
				o = int32(len(keys))
				ordinal[docs[i].ThreadID] = o
				keys = append(keys, docs[i].ThreadID)
				counts = append(counts, 0)
			}
			of = append(of, o)
			counts[o]++
		}
	}
	byKey := make([]int32, len(keys))
	for o := range byKey {
		byKey[o] = int32(o)
	}
	slices.SortFunc(byKey, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	next := make([]int32, len(keys)) // where the next document of each thread, by ordinal, goes
	spans := make([]int32, len(keys))
	var end int32
	for i, o := range byKey {
		next[o] = end
		end += counts[o]
		spans[i] = end
	}
	order := make([]docRef, n)
	g := 0
	for b, docs := range batches {
		for i := range docs {
			o := of[g]
			order[next[o]] = docRef{int32(b), int32(i)}
			next[o]++
			g++
		}
	}
	return &threads{batches: batches, order: order, spans: spans}
}

// thread appends the documents of the i-th thread to dst.
func (t *threads) thread(i int, dst []schemas.Document) []schemas.Document {
	from := int32(0)
	if i > 0 {
		from = t.spans[i-1]
	}
	for _, r := range t.order[from:t.spans[i]] {
		dst = append(dst, t.batches[r.batch][r.row])
	}
	return dst
}

func (sp *spill) close() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// output publishes a job's pairs in deterministic batches and skips those a previous attempt
// already published.
type output struct {
	w       *worker
	job     schemas.Job
	key     string
	pub     *bus.Publisher
	state   bus.State
	done    progress
	batch   int
	pending []schemas.Pair
	size    int
	flushed time.Time
}

func (w *worker) openOutput(ctx context.Context, job schemas.Job, bucket int) (*output, error) {
	state, err := w.b.OpenState(ctx, bus.BucketProgress)
	if err != nil {
		return nil, err
	}
	key := job.ID() + "/" + strconv.Itoa(bucket)
	o := &output{w: w, job: job, key: key, pub: bus.NewPublisher(w.b.JS, 32), state: state, flushed: time.Now()}
	if _, err := state.Load(ctx, key, &o.done); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *output) add(ctx context.Context, p schemas.Pair) error {
	o.pending = append(o.pending, p)
	o.size += p.Size()
	if len(o.pending) >= bus.BatchRows || o.size >= bus.BatchBytes {
		return o.publish(ctx)
	}
	return nil
}

func (o *output) publish(ctx context.Context) error {
	if len(o.pending) == 0 {
		return nil
	}
	n := o.batch
	o.batch++
	pairs := o.pending
	o.pending, o.size = o.pending[:0], 0
	if n < o.done.Published {
		return nil
	}
	data, err := schemas.PairCodec.Encode(pairs)
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.PairSchema)
	h.Set(schemas.HeaderDump, o.job.Dump)
	h.Set(schemas.HeaderBatch, strconv.Itoa(n))
	h.Set(schemas.HeaderRows, strconv.Itoa(len(pairs)))
	if err := o.pub.Publish(ctx, bus.PairSubject(o.job.Source), "pairs/"+o.key+"/"+strconv.Itoa(n), data, h); err != nil {
		return err
	}
	if time.Since(o.flushed) > 5*time.Second {
		return o.mark(ctx)
	}
	return nil
}

// mark waits for the server to store what was published and remembers how far the job got.
func (o *output) mark(ctx context.Context) error {
	if err := o.pub.Flush(ctx); err != nil {
		return err
	}
	o.flushed = time.Now()
	if o.batch <= o.done.Published {
		return nil
	}
	o.done.Published = o.batch
	return o.state.Store(ctx, o.key, o.done)
}

func (o *output) reject(ctx context.Context, r Reject) error {
	data, err := schemas.DocumentCodec.Encode([]schemas.Document{r.Doc})
	if err != nil {
		return err
	}
	origin := fmt.Sprintf("%s:%d", r.Doc.SourceFile, r.Doc.Offset)
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.DocumentSchema)
	h.Set(schemas.HeaderDump, o.job.Dump)
	h.Set(schemas.HeaderReason, r.Reason)
	h.Set(schemas.HeaderOrigin, origin)
	return o.pub.Publish(ctx, bus.DeadLetterSubject("featurize", o.job.Source), "dlq/"+o.key+"/"+r.Doc.ID, data, h)
}

// close publishes what is left and marks the bucket done.
func (o *output) close(ctx context.Context) error {
	if err := o.publish(ctx); err != nil {
		return err
	}
	if err := o.pub.Flush(ctx); err != nil {
		return err
	}
	o.done = progress{Published: o.batch, Done: true}
	return o.state.Store(ctx, o.key, o.done)
}

// decodeJob reads a job message.
func decodeJob(data []byte) (schemas.Job, error) {
	var job schemas.Job
	if err := json.Unmarshal(data, &job); err != nil {
		return job, bus.Permanent(fmt.Errorf("featurize: job: %w", err))
	}
	if job.Source == "" || job.Subjects == "" || len(job.Batches) == 0 || job.FirstSeq == 0 {
		return job, bus.Permanent(fmt.Errorf("featurize: incomplete job %s", data))
	}
	return job, nil
}
