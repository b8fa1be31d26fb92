package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/rollout"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

type benchRolloutFlags struct {
	genPreset                          string
	presets                            []string
	batch, promptTokens, maxNew        int
	rounds, workers, versions          int
	threads                            int
	python, reference                  string
	skipGenerate, skipSwitch, skipBusy bool
	ownCaches                          bool
}

func newBenchRolloutCmd() *cobra.Command {
	var f benchRolloutFlags
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Rollout tokens/s beside the PyTorch reference, and policy switch time beside a raw Object Store copy",
		Long: `Two measurements, in one run:

1. Sampling speed of one worker: Model.Generate with the --gen-preset policy (default tiny, the
   architecture of shared/bench/gen_reference.py; random weights, vocabulary 4096) on --batch
   random prompts of --prompt-tokens tokens, --max-new new tokens each at temperature 1, with
   each token's log-probability returned: one warm-up round, then --rounds timed. Printed
   beside the same with the reference log-probs and PM reward a worker adds, and beside
   '/usr/bin/python3 gen_reference.py --threads N' (the same batch, prompt and new tokens) and
   the ratio. Goal: at least 5x the PyTorch reference.

2. Policy switch, for each of --presets: an embedded server, --workers workers (the real worker
   loop, in this process, each with its own NATS connection) following policy-bench and sharing
   one model cache, as the workers of 'prefstream rollout --workers N' do (--own-caches: each
   worker fetches and decodes its own copy, as separate processes on one machine do). For
   --versions new versions in turn: the time from the start of the publish until every worker
   has fetched, verified and installed the version (its next batch samples with it), beside the
   raw Object Store put+get of the same number of bytes (registry.RawPutGet, same chunk size);
   the medians and their ratio. Goal: within 2x of the raw copy. Then, with every worker busy
   sampling --batch prompts per batch, one more version: the time until every worker has
   started a batch with it, which adds waiting for the batch in flight.`,
		Example: `  prefstream bench rollout
  go run -tags openblas ./cmd/prefstream bench rollout --presets tiny,small,base`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchRollout(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.genPreset, "gen-preset", "tiny", "preset of the sampling-speed measurement")
	fl.StringSliceVar(&f.presets, "presets", []string{"tiny", "small"}, "presets of the policy-switch measurement")
	fl.IntVar(&f.batch, "batch", 8, "prompts per batch")
	fl.IntVar(&f.promptTokens, "prompt-tokens", 64, "prompt tokens (sampling speed)")
	fl.IntVar(&f.maxNew, "max-new", 64, "new tokens per response")
	fl.IntVar(&f.rounds, "rounds", 5, "timed rounds of sampling (after one warm-up)")
	fl.IntVar(&f.workers, "workers", 4, "workers of the policy-switch measurement")
	fl.IntVar(&f.versions, "versions", 3, "policy versions timed per preset (the median is reported)")
	fl.IntVar(&f.threads, "threads", 2, "threads of the PyTorch reference")
	fl.StringVar(&f.python, "python", "/usr/bin/python3", "python with torch")
	fl.StringVar(&f.reference, "reference", "", "path of gen_reference.py (default: found in ../shared/bench or ./shared/bench)")
	fl.BoolVar(&f.skipGenerate, "skip-generate", false, "skip the sampling-speed measurement")
	fl.BoolVar(&f.skipSwitch, "skip-switch", false, "skip the policy-switch measurement")
	fl.BoolVar(&f.skipBusy, "skip-busy", false, "skip the policy switch with busy workers")
	fl.BoolVar(&f.ownCaches, "own-caches", false, "policy switch: each worker loads its own copy of each model (as one process per worker does)")
	return cmd
}

var referenceGenTokens = regexp.MustCompile(`gen_tokens_per_s=([0-9.]+)`)

func benchRollout(ctx context.Context, out io.Writer, f benchRolloutFlags) error {
	if f.workers < 1 || f.versions < 1 || f.batch < 1 || f.rounds < 1 {
		return errors.New("bench rollout: --workers, --versions, --batch and --rounds must be at least 1")
	}
	if !f.skipGenerate {
		if err := benchRolloutGenerate(ctx, out, f); err != nil {
			return err
		}
	}
	if f.skipSwitch {
		return nil
	}
	sharing := "sharing one model cache, as in 'rollout --workers N'"
	if f.ownCaches {
		sharing = "each loading its own copy, as one process per worker"
	}
	fmt.Fprintf(out, "policy switch: %d workers (the worker loop in this process, one NATS connection each, %s), embedded server, median of %d versions\n",
		f.workers, sharing, f.versions)
	fmt.Fprintf(out, "  %-6s %11s %12s %9s %14s %7s %17s   %s\n", "preset", "checkpoint", "raw put+get", "publish", "all switched", "ratio",
		fmt.Sprintf("raw put+%d gets", f.workers), "busy: all sampling with it")
	tok, err := benchTokenizer()
	if err != nil {
		return err
	}
	for _, preset := range f.presets {
		r, err := benchRolloutSwitch(ctx, tok, preset, f)
		if err != nil {
			return fmt.Errorf("bench rollout: preset %s: %w", preset, err)
		}
		busy := "skipped"
		if !f.skipBusy {
			busy = fmt.Sprintf("%.0f ms (a batch of %d x %d new tokens, %.0f ms here, was in flight)", ms(r.busy), f.batch, f.maxNew, ms(r.batch))
		}
		fmt.Fprintf(out, "  %-6s %8.1f MB %9.1f ms %6.1f ms %11.1f ms %6.2fx %14.1f ms   %s\n",
			preset, float64(r.bytes)/1e6, ms(r.raw), ms(r.publish), ms(r.switched), float64(r.switched)/float64(r.raw), ms(r.rawParallel), busy)
	}
	fmt.Fprintf(out, "  (goal: all switched within 2x of the raw put+get; raw put+%d gets is the same copy made by all %d workers at once, here on one machine)\n", f.workers, f.workers)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func benchRolloutGenerate(ctx context.Context, out io.Writer, f benchRolloutFlags) error {
	fmt.Fprintf(out, "rollout sampling, preset %s, batch %d, %d-token prompts, %d new tokens, log-probs returned (%d rounds after a warm-up)\n",
		f.genPreset, f.batch, f.promptTokens, f.maxNew, f.rounds)
	got, err := rollout.BenchGenerate(f.genPreset, f.batch, f.promptTokens, f.maxNew, f.rounds)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  prefstream (%s): %8.0f tokens/s generated; %.0f tokens/s with the reference log-probs and PM reward\n",
		got.BLAS, got.TokensPerS, got.WorkerTokensPerS)
	if f.genPreset != "tiny" {
		fmt.Fprintln(out, "  (the PyTorch reference implements the tiny preset only)")
		return nil
	}
	ref, err := runReference(ctx, f.python, findReference(f.reference, "gen_reference.py"), "--threads", strconv.Itoa(f.threads),
		"--batch", strconv.Itoa(f.batch), "--prompt", strconv.Itoa(f.promptTokens), "--new", strconv.Itoa(f.maxNew), "--rounds", strconv.Itoa(f.rounds))
	if err != nil {
		fmt.Fprintf(out, "  PyTorch reference: unavailable (%v)\n", err)
		return nil
	}
	m := referenceGenTokens.FindStringSubmatch(ref)
	if m == nil {
		return fmt.Errorf("bench rollout: the reference printed %q", ref)
	}
	tokens, _ := strconv.ParseFloat(m[1], 64)
	fmt.Fprintf(out, "  PyTorch reference (%d threads): %8.0f tokens/s\n", f.threads, tokens)
	fmt.Fprintf(out, "  ratio prefstream / PyTorch: %.2fx (goal: at least 5x)\n", got.TokensPerS/tokens)
	return nil
}

// benchWords makes n words of random syllables: text with many distinct, repeating pairs.
func benchWords(rng *rand.Rand, n int) string {
	const cons, vows = "bcdfghjklmnprstvwz", "aeiou"
	var b strings.Builder
	for range n {
		for range 1 + rng.IntN(4) {
			b.WriteByte(cons[rng.IntN(len(cons))])
			b.WriteByte(vows[rng.IntN(len(vows))])
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// benchTokenizer trains a 4096-token BPE tokenizer on generated text (about a second).
func benchTokenizer() (*tokenizer.Tokenizer, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	return tokenizer.Train(func(yield func([]byte) bool) {
		for range 2000 {
			if !yield([]byte(benchWords(rng, 60))) {
				return
			}
		}
	}, 4096)
}

type switchResult struct {
	bytes                        int64
	raw, publish, switched, busy time.Duration
	// rawParallel is a put and one get per worker at once; batch a batch's sampling time.
	rawParallel, batch time.Duration
}

type benchEvent struct {
	worker, version int
	at              time.Time
	took            time.Duration
}

// benchRolloutSwitch measures policy switches of one preset on a fresh embedded server.
func benchRolloutSwitch(ctx context.Context, tok *tokenizer.Tokenizer, preset string, f benchRolloutFlags) (switchResult, error) {
	var res switchResult
	dir, err := os.MkdirTemp("", "prefstream-bench-rollout-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ns, err := bus.StartServer(bus.ServerOptions{DataDir: dir})
	if err != nil {
		return res, err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	connect := func() (*nats.Conn, jetstream.JetStream, error) {
		nc, err := nats.Connect("", nats.InProcessServer(ns))
		if err != nil {
			return nil, nil, err
		}
		js, err := jetstream.New(nc)
		return nc, js, err
	}
	nc, js, err := connect()
	if err != nil {
		return res, err
	}
	defer nc.Close()
	if err := bus.EnsureTopology(ctx, js, 1); err != nil {
		return res, err
	}
	reg, err := registry.Open(ctx, js, 1)
	if err != nil {
		return res, err
	}
	blob := func(kind string, seed uint64) ([]byte, error) {
		c, err := trainer.Preset(preset, kind, tok.Vocab())
		if err != nil {
			return nil, err
		}
		m, err := trainer.New(c, seed)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		_, err = (&trainer.Checkpoint{Model: m, Tok: tok}).WriteTo(&buf)
		return buf.Bytes(), err
	}
	publish := func(name, kind string, data []byte, labels map[string]string) (registry.Entry, error) {
		return reg.Publish(ctx, registry.Entry{Name: name, Kind: kind, Labels: labels}, bytes.NewReader(data))
	}
	pmBlob, err := blob(trainer.KindPM, 100)
	if err != nil {
		return res, err
	}
	refBlob, err := blob(trainer.KindPolicy, 1)
	if err != nil {
		return res, err
	}
	pm, err := publish("pm-bench", trainer.KindPM, pmBlob, nil)
	if err != nil {
		return res, err
	}
	ref, err := publish("sft-bench", trainer.KindPolicy, refBlob, nil)
	if err != nil {
		return res, err
	}
	labels := map[string]string{rollout.LabelPM: pm.Ref(), rollout.LabelReference: ref.Ref()}
	policyName := trainer.PolicyName("bench")
	if _, err := publish(policyName, trainer.KindPolicy, refBlob, labels); err != nil {
		return res, err
	}

	switches := make(chan benchEvent, 1024)
	batches := make(chan benchEvent, 1024)
	send := func(ch chan benchEvent, e benchEvent) {
		select {
		case ch <- e:
		default:
		}
	}
	wctx, stop := context.WithCancel(ctx)
	var cache *rollout.ModelCache
	if !f.ownCaches {
		cache = rollout.NewModelCache(rollout.DefaultCacheModels)
	}
	var running sync.WaitGroup
	var conns []*nats.Conn
	defer func() {
		stop()
		running.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range f.workers {
		wnc, wjs, err := connect()
		if err != nil {
			return res, err
		}
		conns = append(conns, wnc)
		wreg, err := registry.Open(ctx, wjs, 1)
		if err != nil {
			return res, err
		}
		w, err := rollout.New(wjs, wreg, rollout.Options{Run: "bench", Worker: "bench-" + strconv.Itoa(i), Batch: f.batch,
			Sampling: trainer.Sampling{MaxNew: f.maxNew}, Models: cache,
			OnSwitch: func(s rollout.SwitchReport) { send(switches, benchEvent{i, s.Policy.Version, s.At, s.Load}) },
			OnBatch:  func(b rollout.BatchReport) { send(batches, benchEvent{i, b.PolicyVersion, b.Started, b.Took}) }})
		if err != nil {
			return res, err
		}
		running.Add(1)
		go func() { defer running.Done(); _ = w.Run(wctx) }()
	}
	// allOf waits until every worker reported version v on ch and returns the latest time; the
	// durations of the batch events seen are kept in tooks.
	var tooks []time.Duration
	allOf := func(ch chan benchEvent, v int) (time.Time, error) {
		seen := map[int]time.Time{}
		timeout := time.After(10 * time.Minute)
		for len(seen) < f.workers {
			select {
			case e := <-ch:
				if ch == batches {
					tooks = append(tooks, e.took)
				}
				if _, ok := seen[e.worker]; e.version == v && !ok {
					seen[e.worker] = e.at
				}
			case <-timeout:
				return time.Time{}, fmt.Errorf("only %d of %d workers reached version %d", len(seen), f.workers, v)
			case <-ctx.Done():
				return time.Time{}, ctx.Err()
			}
		}
		var last time.Time
		for _, at := range seen {
			if at.After(last) {
				last = at
			}
		}
		return last, nil
	}
	if _, err := allOf(switches, 1); err != nil {
		return res, err
	}

	var raws, parallels, publishes, switched []time.Duration
	for v := 2; v < 2+f.versions; v++ {
		data, err := blob(trainer.KindPolicy, uint64(v))
		if err != nil {
			return res, err
		}
		res.bytes = int64(len(data))
		start := time.Now()
		if _, err := publish(policyName, trainer.KindPolicy, data, labels); err != nil {
			return res, err
		}
		publishes = append(publishes, time.Since(start))
		last, err := allOf(switches, v)
		if err != nil {
			return res, err
		}
		switched = append(switched, last.Sub(start))
		put, get, err := registry.RawPutGet(ctx, js, res.bytes, reg.ChunkSize())
		if err != nil {
			return res, err
		}
		raws = append(raws, put+get)
		parallel, err := rawPutGets(ctx, js, connect, res.bytes, reg.ChunkSize(), f.workers)
		if err != nil {
			return res, err
		}
		parallels = append(parallels, parallel)
	}
	res.raw, res.rawParallel = median(raws), median(parallels)
	res.publish, res.switched = median(publishes), median(switched)

	if f.skipBusy {
		return res, nil
	}
	// Busy: every worker sampling, then one more version. A feeder keeps prompt messages
	// waiting until the measurement ends, so no worker runs out of work however slow it is.
	feedCtx, stopFeeding := context.WithCancel(ctx)
	defer stopFeeding()
	feedErr := make(chan error, 1)
	go func() { feedErr <- feedPrompts(feedCtx, js, rollout.ConsumerName("bench"), f.batch, 2*f.workers) }()
	current := 1 + f.versions
	if _, err := allOf(batches, current); err != nil {
		return res, err
	}
	data, err := blob(trainer.KindPolicy, uint64(current+1))
	if err != nil {
		return res, err
	}
	start := time.Now()
	if _, err := publish(policyName, trainer.KindPolicy, data, labels); err != nil {
		return res, err
	}
	last, err := allOf(batches, current+1)
	if err != nil {
		return res, err
	}
	res.busy = last.Sub(start)
	res.batch = median(tooks)
	stopFeeding()
	if err := <-feedErr; err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	return res, nil
}

// feedPrompts publishes messages of batch generated prompts to the bench's prompt set
// whenever the workers' consumer has fewer than waiting of them pending, until ctx ends.
func feedPrompts(ctx context.Context, js jetstream.JetStream, consumer string, batch, waiting int) error {
	rng := rand.New(rand.NewPCG(3, 4))
	for m := 0; ; {
		pending := 0
		if c, err := js.Consumer(ctx, bus.StreamPrompts, consumer); err == nil {
			if info, err := c.Info(ctx); err == nil {
				pending = int(info.NumPending) + info.NumAckPending
			}
		}
		for ; pending < waiting; pending++ {
			ps := make([]schemas.Prompt, batch)
			for i := range ps {
				text := benchWords(rng, 40)
				ps[i] = schemas.Prompt{PromptID: schemas.PromptID("bench", text+strconv.Itoa(m)), Text: text, Source: "bench"}
			}
			m++
			data, err := schemas.PromptCodec.Encode(ps)
			if err != nil {
				return err
			}
			if _, err := js.Publish(ctx, bus.PromptSubject("bench"), data); err != nil {
				if ctx.Err() != nil {
					return ctx.Err() // stopped while publishing
				}
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// rawPutGets stores size bytes as a plain object and reads it back on readers connections at
// once: the least the workers' fetches of a version cost on this machine.
func rawPutGets(ctx context.Context, js jetstream.JetStream, connect func() (*nats.Conn, jetstream.JetStream, error), size int64, chunk uint32, readers int) (time.Duration, error) {
	obs, err := js.ObjectStore(ctx, registry.BucketModels)
	if err != nil {
		return 0, err
	}
	var stores []jetstream.ObjectStore
	for range readers {
		nc, rjs, err := connect()
		if err != nil {
			return 0, err
		}
		defer nc.Close()
		o, err := rjs.ObjectStore(ctx, registry.BucketModels)
		if err != nil {
			return 0, err
		}
		stores = append(stores, o)
	}
	name := fmt.Sprintf("_raw/parallel-%d", time.Now().UnixNano())
	start := time.Now()
	if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunk}}, registry.Pattern(size)); err != nil {
		return 0, err
	}
	defer obs.Delete(context.WithoutCancel(ctx), name)
	errs := make([]error, readers)
	var wg sync.WaitGroup
	for i, o := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := o.Get(ctx, name)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Close()
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{res}, make([]byte, max(int(chunk), 256<<10)))
			if err == nil && n != size {
				err = fmt.Errorf("read %d bytes of %d", n, size)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
