package featurize

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
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
}

type progress struct {
	Published int `json:"published"`
}

// worker runs jobs with one recipe per source.
type worker struct {
	b       *bus.Bus
	recipes map[string]Recipe
	log     *zap.Logger
}

// run processes one job: read its bucket, group by thread, pair, publish. heartbeat is called
// while it works so the job is not redelivered elsewhere.
func (w *worker) run(ctx context.Context, job schemas.Job, heartbeat func()) (JobStats, error) {
	var st JobStats
	recipe, ok := w.recipes[job.Source]
	if !ok {
		return st, bus.Permanent(fmt.Errorf("featurize: no recipe for source %q", job.Source))
	}
	threads, err := w.readBucket(ctx, job, heartbeat, &st)
	if err != nil {
		return st, err
	}
	keys := make([]string, 0, len(threads))
	for k := range threads {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out, err := w.openOutput(ctx, job)
	if err != nil {
		return st, err
	}
	for _, key := range keys {
		pairs, rejects, skipped := recipe.Thread(threads[key])
		delete(threads, key)
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
	}
	if err := out.close(ctx); err != nil {
		return st, err
	}
	pairsOut.WithLabelValues(job.Source).Add(float64(st.Pairs))
	rejectsOut.WithLabelValues(job.Source).Add(float64(st.Rejects))
	jobsDone.WithLabelValues(job.Source).Inc()
	return st, nil
}

// readBucket reads the documents of the job's bucket back from the RAW stream, skipping batches
// of other dumps and batches seen twice, and groups them by thread.
func (w *worker) readBucket(ctx context.Context, job schemas.Job, heartbeat func(), st *JobStats) (map[string][]schemas.Document, error) {
	cons, err := w.b.JS.OrderedConsumer(ctx, bus.StreamRaw, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{job.Subject}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: job.FirstSeq,
	})
	if err != nil {
		return nil, fmt.Errorf("featurize: read %s: %w", job.Subject, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxBytes(64 << 20))
	if err != nil {
		return nil, fmt.Errorf("featurize: read %s: %w", job.Subject, err)
	}
	defer iter.Stop()
	threads := map[string][]schemas.Document{}
	seen := map[int]bool{}
	var docs []schemas.Document
	last := time.Now()
	for {
		msg, err := iter.Next(jetstream.NextMaxWait(30 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("featurize: read %s after %d of %d batches: %w", job.Subject, len(seen), job.Batches, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return nil, fmt.Errorf("featurize: read %s: %w", job.Subject, err)
		}
		batch, berr := strconv.Atoi(msg.Headers().Get(schemas.HeaderBatch))
		if msg.Headers().Get(schemas.HeaderDump) == job.Dump && berr == nil && !seen[batch] {
			seen[batch] = true
			docs, err = schemas.DocumentCodec.DecodeAppend(docs[:0], msg.Data())
			if err != nil {
				return nil, bus.Permanent(fmt.Errorf("featurize: batch %d of %s (seq %d): %w", batch, job.Subject, meta.Sequence.Stream, err))
			}
			for _, d := range docs {
				threads[d.ThreadID] = append(threads[d.ThreadID], d)
			}
			st.Documents += len(docs)
		}
		if time.Since(last) > 5*time.Second {
			heartbeat()
			last = time.Now()
		}
		if meta.Sequence.Stream >= job.LastSeq || meta.NumPending == 0 {
			break
		}
	}
	if len(seen) != job.Batches {
		return nil, fmt.Errorf("featurize: %s holds %d of the %d batches of %s", job.Subject, len(seen), job.Batches, job.Dump)
	}
	return threads, nil
}

// output publishes a job's pairs in deterministic batches and skips those a previous attempt
// already published.
type output struct {
	w       *worker
	job     schemas.Job
	pub     *bus.Publisher
	state   bus.State
	done    progress
	batch   int
	pending []schemas.Pair
	size    int
	flushed time.Time
}

func (w *worker) openOutput(ctx context.Context, job schemas.Job) (*output, error) {
	state, err := w.b.OpenState(ctx, bus.BucketProgress)
	if err != nil {
		return nil, err
	}
	o := &output{w: w, job: job, pub: bus.NewPublisher(w.b.JS, 32), state: state, flushed: time.Now()}
	if _, err := state.Load(ctx, job.ID(), &o.done); err != nil {
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
	if err := o.pub.Publish(ctx, bus.PairSubject(o.job.Source), "pairs/"+o.job.ID()+"/"+strconv.Itoa(n), data, h); err != nil {
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
	return o.state.Store(ctx, o.job.ID(), o.done)
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
	return o.pub.Publish(ctx, bus.DeadLetterSubject("featurize", o.job.Source), "dlq/"+o.job.ID()+"/"+r.Doc.ID, data, h)
}

func (o *output) close(ctx context.Context) error {
	if err := o.publish(ctx); err != nil {
		return err
	}
	return o.mark(ctx)
}

// decodeJob reads a job message.
func decodeJob(data []byte) (schemas.Job, error) {
	var job schemas.Job
	if err := json.Unmarshal(data, &job); err != nil {
		return job, bus.Permanent(fmt.Errorf("featurize: job: %w", err))
	}
	if job.Source == "" || job.Subject == "" || job.Batches <= 0 || job.FirstSeq == 0 {
		return job, bus.Permanent(fmt.Errorf("featurize: incomplete job %s", data))
	}
	return job, nil
}
