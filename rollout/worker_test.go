package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// start runs w until it returns, in the background.
func start(ctx context.Context, w *Worker) <-chan error {
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return done
}

func wait(t *testing.T, done <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatal("the worker did not stop")
		return nil
	}
}

// Two workers started before the run has a policy wait for it, then share the prompts: every
// prompt gets exactly one valid trajectory, whose numbers the models reproduce.
func TestWorkersShareThePromptsOnce(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "share"
	log, logs := observed()
	var installed atomic.Int32
	var workers []*Worker
	var dones []<-chan error
	for _, name := range []string{"w1", "w2"} {
		w, _ := c.worker(Options{Run: run, Worker: name, Batch: 4, Seed: 3, UntilIdle: 1500 * time.Millisecond, Log: log,
			Sampling: trainer.Sampling{Temperature: 0.9, TopP: 0.95, MaxNew: 12},
			OnSwitch: func(SwitchReport) { installed.Add(1) }})
		workers = append(workers, w)
		dones = append(dones, start(ctx, w))
	}
	waitFor(t, 10*time.Second, "the workers to say they wait for a policy", func() bool {
		return logs.FilterMessage("waiting for the run's first policy in the registry").Len() == 2
	})
	labels := c.baseModels(run)
	policy := c.model(trainer.KindPolicy, 11)
	c.publishPolicy(run, policy, labels)
	waitFor(t, 10*time.Second, "both workers to load the policy", func() bool { return installed.Load() == 2 })
	ps := prompts("share", 40)
	c.publishPrompts("share", ps, 5)
	for _, d := range dones {
		if err := wait(t, d, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	trajs := c.trajectories(run)
	counts := promptIDs(trajs)
	if len(trajs) != len(ps) || len(counts) != len(ps) {
		t.Fatalf("%d trajectories for %d distinct prompts, want one for each of %d", len(trajs), len(counts), len(ps))
	}
	byWorker := map[string]int{}
	ids := map[string]bool{}
	for _, tr := range trajs {
		if err := tr.Validate(); err != nil {
			t.Fatal(err)
		}
		if ids[tr.TrajectoryID] {
			t.Fatalf("trajectory id %s twice", tr.TrajectoryID)
		}
		ids[tr.TrajectoryID] = true
		byWorker[tr.Worker]++
		if tr.PolicyVersion != 1 || tr.PM != labels[LabelPM] || tr.Reference != labels[LabelReference] ||
			tr.Tokenizer != c.tok.Version() || tr.Temperature != 0.9 || tr.TopP != 0.95 || tr.Run != run {
			t.Fatalf("trajectory fields %+v", tr)
		}
		if n := len(tr.ResponseTokens); n > 12 || len(tr.PromptTokens)+n > 32 {
			t.Fatalf("%d prompt and %d response tokens: more than the context or max new allow", len(tr.PromptTokens), n)
		}
	}
	if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Fatalf("the prompts were not shared: %v", byWorker)
	}
	var total Stats
	for _, w := range workers {
		s := w.Stats()
		total.Trajectories += s.Trajectories
		total.DeadLetters += s.DeadLetters
	}
	if total.Trajectories != int64(len(ps)) || total.DeadLetters != 0 {
		t.Fatalf("stats %+v", total)
	}

	// The numbers are the models' own: the behaviour log-probs are the policy's, the
	// reference log-probs the reference's, the reward the preference model's score.
	ref := c.model(trainer.KindPolicy, 1)
	scorer, err := trainer.NewScorer(c.model(trainer.KindPM, 7), c.tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trajs[:6] {
		seq := append(append([]int32{}, tr.PromptTokens...), tr.ResponseTokens...)
		for _, check := range []struct {
			name  string
			model *trainer.Model
			got   []float32
		}{{"behaviour", policy, tr.BehaviourLogProbs}, {"reference", ref, tr.ReferenceLogProbs}} {
			want, err := check.model.TokenLogProbs([][]int32{seq}, []int{len(tr.PromptTokens)}, tr.Temperature)
			if err != nil {
				t.Fatal(err)
			}
			for j := range want[0] {
				if math.Abs(float64(want[0][j]-check.got[j])) > 1e-4 {
					t.Fatalf("%s log-prob %d: stored %v, the model gives %v", check.name, j, check.got[j], want[0][j])
				}
			}
		}
		body := tr.ResponseTokens
		if body[len(body)-1] == tokenizer.EndOfContext {
			body = body[:len(body)-1]
		}
		if strings.ToValidUTF8(string(c.tok.Decode(body)), "\uFFFD") != tr.Response {
			t.Fatalf("response %q is not the decoded tokens", tr.Response)
		}
		score, err := scorer.Score([]string{tr.Prompt}, []string{tr.Response})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(score[0])-tr.Reward) > 1e-5 {
			t.Fatalf("reward %v, the preference model gives %v", tr.Reward, score[0])
		}
	}
}

// A new policy version is picked up between batches without the worker stopping; versions
// that cannot be used are reported and the worker keeps the one it has.
func TestSwitchesVersionsAndKeepsTheOldOneOnFailure(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "switch"
	labels := c.baseModels(run)
	c.publishPolicy(run, c.model(trainer.KindPolicy, 11), labels)
	v2 := c.model(trainer.KindPolicy, 12)
	v4 := c.checkpoint(c.model(trainer.KindPolicy, 13))
	v5 := c.checkpoint(c.model(trainer.KindPolicy, 14))
	log, logs := observed()
	var w *Worker
	var hookErrs []error
	var batches int
	// step publishes a version and waits until the worker has dealt with it (from the worker's
	// goroutine: failures are collected, not fatal there).
	step := func(what string, blob []byte, labels map[string]string, done func(Stats) bool) {
		if _, err := c.reg.Publish(ctx, registryEntry(trainer.PolicyName(run), labels), bytes.NewReader(blob)); err != nil {
			hookErrs = append(hookErrs, err)
			return
		}
		if !until(10*time.Second, func() bool { return done(w.Stats()) }) {
			hookErrs = append(hookErrs, fmt.Errorf("timed out waiting for %s", what))
		}
	}
	w, _ = c.worker(Options{Run: run, Worker: "solo", Batch: 4, UntilIdle: time.Second, Log: log,
		Sampling: trainer.Sampling{MaxNew: 10},
		OnBatch: func(b BatchReport) {
			batches++
			switch batches {
			case 3:
				step("version 2", c.checkpoint(v2), labels, func(s Stats) bool { return s.PolicyVersion == 2 })
			case 5: // not a checkpoint
				step("the failure of version 3", []byte("these bytes are not a checkpoint"), labels, func(s Stats) bool { return s.LoadFailures == 1 })
			case 6: // a preference model where the reference should be
				bad := map[string]string{LabelPM: labels[LabelPM], LabelReference: labels[LabelPM]}
				step("the failure of version 4", v4, bad, func(s Stats) bool { return s.LoadFailures == 2 })
			case 7: // no labels
				step("the failure of version 5", v5, nil, func(s Stats) bool { return s.LoadFailures == 3 })
			}
		}})
	done := start(ctx, w)
	c.publishPrompts("switch", prompts("switch", 40), 4)
	if err := wait(t, done, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(hookErrs) > 0 {
		t.Fatal(hookErrs)
	}
	trajs := c.trajectories(run)
	if len(trajs) != 40 {
		t.Fatalf("%d trajectories, want 40", len(trajs))
	}
	for i, tr := range trajs {
		want := int64(1)
		if i >= 12 {
			want = 2
		}
		if tr.PolicyVersion != want {
			t.Fatalf("trajectory %d (batch %d) sampled by version %d, want %d", i, i/4+1, tr.PolicyVersion, want)
		}
	}
	// Version 2's trajectories carry version 2's log-probabilities.
	tr := trajs[20]
	got, err := v2.TokenLogProbs([][]int32{append(append([]int32{}, tr.PromptTokens...), tr.ResponseTokens...)}, []int{len(tr.PromptTokens)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := range got[0] {
		if math.Abs(float64(got[0][j]-tr.BehaviourLogProbs[j])) > 1e-4 {
			t.Fatalf("token %d: stored %v, version 2 gives %v", j, tr.BehaviourLogProbs[j], got[0][j])
		}
	}
	for _, want := range []map[string]string{
		{"rejected": trainer.PolicyName(run) + "@3", "keeping": trainer.PolicyName(run) + "@2", "error": "not a \"prefstream-checkpoint/v1\" file"},
		{"rejected": trainer.PolicyName(run) + "@4", "keeping": trainer.PolicyName(run) + "@2", "error": "holds a pm model, not a policy"},
		{"rejected": trainer.PolicyName(run) + "@5", "keeping": trainer.PolicyName(run) + "@2", "error": "must name the preference model and the reference"},
	} {
		if !logged(logs, "cannot use the new policy version; keeping the one in use", want) {
			t.Errorf("no log line says %v", want)
		}
	}
	if s := w.Stats(); s.PolicyVersion != 2 || s.LoadFailures != 3 || s.Batches != 10 {
		t.Fatalf("stats %+v", s)
	}
}

// A worker whose connection dies halfway through a prompt message leaves it unacked; after
// AckWait another worker takes it, and the batch the first had stored is not stored twice.
func TestKilledWorkersPromptsAreRedelivered(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "kill"
	c.publishPolicy(run, c.model(trainer.KindPolicy, 11), c.baseModels(run))
	var once sync.Once
	var nc1 interface{ Close() }
	w1, nc := c.worker(Options{Run: run, Worker: "doomed", Batch: 2, AckWait: time.Second,
		Sampling: trainer.Sampling{MaxNew: 8},
		OnBatch:  func(BatchReport) { once.Do(nc1.Close) }})
	nc1 = nc
	done1 := start(ctx, w1)
	ps := prompts("kill", 24)
	c.publishPrompts("kill", ps, 6)
	err := wait(t, done1, 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("the killed worker returned %v, want a closed connection", err)
	}
	w2, _ := c.worker(Options{Run: run, Worker: "survivor", Batch: 2, AckWait: time.Second, UntilIdle: 2500 * time.Millisecond,
		Sampling: trainer.Sampling{MaxNew: 8}})
	if err := wait(t, start(ctx, w2), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	trajs := c.trajectories(run)
	counts := promptIDs(trajs)
	if len(trajs) != len(ps) || len(counts) != len(ps) {
		t.Fatalf("%d trajectories for %d distinct prompts, want exactly one for each of %d", len(trajs), len(counts), len(ps))
	}
	byWorker := map[string]int{}
	for _, tr := range trajs {
		byWorker[tr.Worker]++
		if _, delivery, _ := SplitTrajectorySeq(tr.Seq); tr.Worker == "survivor" && tr.PromptID == ps[2].PromptID && delivery != 2 {
			t.Fatalf("the redelivered message's trajectory says delivery %d, want 2", delivery)
		}
	}
	if byWorker["doomed"] != 2 || byWorker["survivor"] != len(ps)-2 {
		t.Fatalf("trajectories by worker %v: want the first batch from the killed worker and the rest from the other", byWorker)
	}
	if s := w2.Stats(); s.Duplicates != 1 || s.Trajectories != int64(len(ps)-2) || s.Messages != 4 {
		t.Fatalf("survivor stats %+v: want 4 messages, one batch the server already had", s)
	}
}

// Prompts that cannot be used are dead-lettered with the reason; the rest go through. A worker
// asked for other prompts than the run's consumer reads refuses to start.
func TestBadPromptsAreDeadLettered(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "bad"
	c.publishPolicy(run, c.model(trainer.KindPolicy, 11), c.baseModels(run))
	ps := prompts("bad", 3)
	ps[1].Text = "   "
	c.publishPrompts("bad", ps, 3)
	c.publishRaw(bus.PromptSubject("bad"), []byte("not an arrow batch"))
	w, _ := c.worker(Options{Run: run, Worker: "w", UntilIdle: time.Second, Sampling: trainer.Sampling{MaxNew: 8}})
	if err := wait(t, start(ctx, w), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if trajs := c.trajectories(run); len(trajs) != 2 || trajs[0].PromptID != ps[0].PromptID || trajs[1].PromptID != ps[2].PromptID {
		t.Fatalf("trajectories %v", promptIDs(trajs))
	}
	dead := c.messages(bus.StreamDeadLetters, bus.DeadLetterSubject("rollout", run))
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	for i, want := range []struct{ reason, origin string }{
		{"schemas: prompt text is empty", "PROMPTS:1 prompts.bad row 1"},
		{"schemas: decode prompt/v1", "PROMPTS:2 prompts.bad"},
	} {
		h := dead[i].header
		if !strings.Contains(h.Get(schemas.HeaderReason), want.reason) || h.Get(schemas.HeaderOrigin) != want.origin {
			t.Errorf("dead letter %d: reason %q, origin %q; want %q, %q", i, h.Get(schemas.HeaderReason), h.Get(schemas.HeaderOrigin), want.reason, want.origin)
		}
	}
	if got, err := schemas.PromptCodec.Decode(dead[0].data); err != nil || len(got) != 1 || got[0].PromptID != ps[1].PromptID {
		t.Fatalf("the dead prompt holds %v, %v", got, err)
	}
	if s := w.Stats(); s.DeadLetters != 2 || s.Trajectories != 2 {
		t.Fatalf("stats %+v", s)
	}

	other, _ := c.worker(Options{Run: run, Worker: "w2", Prompts: "prompts.other", Sampling: trainer.Sampling{MaxNew: 8}})
	err := wait(t, start(ctx, other), 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "must use the same --prompts") {
		t.Fatalf("a worker with other prompts returned %v", err)
	}
}

// Versions that fail verification are refused with a reason that names the check.
func TestLoadRefusesBadVersions(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	labels := c.baseModels("load")
	good := c.checkpoint(c.model(trainer.KindPolicy, 11))
	w, _ := c.worker(Options{Run: "load", Worker: "w", Sampling: trainer.Sampling{MaxNew: 8}})

	otherTok, err := tokenizer.Train(func(yield func([]byte) bool) { yield([]byte("a completely different text to learn from, from from")) }, 270)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := trainer.New(trainer.Config{Vocab: otherTok.Vocab(), Context: 32, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: trainer.KindPolicy}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var oddBlob strings.Builder
	if _, err := (&trainer.Checkpoint{Model: odd, Tok: otherTok}).WriteTo(&oddBlob); err != nil {
		t.Fatal(err)
	}
	otherRef := c.publish("sft-other", trainer.KindPolicy, []byte(oddBlob.String()), nil)

	tests := []struct {
		name   string
		blob   []byte
		labels map[string]string
		maxNew int
		// corrupt replaces the stored object after publishing.
		corrupt bool
		want    string
	}{
		{name: "ok", blob: good, labels: labels},
		{name: "corrupt", blob: good, labels: labels, corrupt: true, want: "failed verification"},
		{name: "truncated", blob: good[:len(good)/2], labels: labels, want: "file ends early"},
		{name: "missing-pm", blob: good, labels: map[string]string{LabelPM: "pm-nope@1", LabelReference: labels[LabelReference]}, want: "not found"},
		{name: "pm-is-policy", blob: good, labels: map[string]string{LabelPM: labels[LabelReference], LabelReference: labels[LabelReference]}, want: "holds a policy model, not a pm"},
		{name: "other-tokenizer", blob: good, labels: map[string]string{LabelPM: labels[LabelPM], LabelReference: otherRef.Ref()}, want: "but its reference"},
		{name: "no-room", blob: good, labels: labels, maxNew: 32, want: "leaves no room for a prompt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := c.publish("policy-"+tc.name, trainer.KindPolicy, tc.blob, tc.labels)
			if tc.corrupt {
				obs, err := c.js.ObjectStore(ctx, "models")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := obs.PutBytes(ctx, e.Object(), append([]byte{}, tc.blob[:len(tc.blob)-1]...)); err != nil {
					t.Fatal(err)
				}
			}
			w.o.Sampling.MaxNew = max(tc.maxNew, 8)
			set, err := w.load(ctx, e, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && (set.policy.Ref() != e.Ref() || set.pm.Ref() != labels[LabelPM] || set.reference.Ref() != labels[LabelReference]):
				t.Fatalf("loaded %s %s %s", set.policy.Ref(), set.pm.Ref(), set.reference.Ref())
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A later policy naming the same models reuses them rather than loading them again.
	w.o.Sampling.MaxNew = 8
	first, err := w.load(ctx, c.publish("policy-reuse", trainer.KindPolicy, good, labels), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.load(ctx, c.publish("policy-reuse", trainer.KindPolicy, good, labels), first)
	if err != nil || second.models.PM != first.models.PM || second.models.Reference != first.models.Reference || second.policy.Version != 2 {
		t.Fatalf("the second version did not reuse the models: %v", err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}
