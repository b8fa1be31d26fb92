package trainer

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/schemas"
)

func publishCheckpoint(t *testing.T, ctx context.Context, reg *registry.Registry, name string, ck *Checkpoint) registry.Entry {
	t.Helper()
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	e, err := reg.Publish(ctx, registry.Entry{Name: name, Kind: ck.Model.Config.Kind, Tokenizer: ck.Tok.Version()}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A trainer killed after publishing a version and before acknowledging its trajectories
// resumes without using any of them twice or losing any.
// ppoRunFixture starts a server and publishes a small SFT policy "sft" and PM "pm"; it returns
// the bus (closed when the test ends), the registry and the policy.
func ppoRunFixture(t *testing.T, ctx context.Context, name string) (*bus.Bus, *registry.Registry, *Model) {
	t.Helper()
	b, err := bus.Connect(ctx, bus.Config{DataDir: t.TempDir(), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	reg, err := registry.Open(ctx, b.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	tok := trainTokenizer(t, plantedPairs(rand.New(rand.NewPCG(1, 1)), 50), 264)
	c := Config{Vocab: tok.Vocab(), Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: KindPolicy}
	policy, _ := New(c, 1)
	policy.Tokenizer = tok.Version()
	publishCheckpoint(t, ctx, reg, "sft", &Checkpoint{Model: policy, Tok: tok})
	pmc := c
	pmc.Kind = KindPM
	pm, _ := New(pmc, 2)
	pm.Tokenizer = tok.Version()
	publishCheckpoint(t, ctx, reg, "pm", &Checkpoint{Model: pm, Tok: tok})
	return b, reg, policy
}

func TestPPORunResumesWithEveryTrajectoryUsedOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, reg, policy := ppoRunFixture(t, ctx, "ppo-test")

	// 6 messages of 8 trajectories, plus one message holding a bad trajectory.
	rng := rand.New(rand.NewPCG(5, 6))
	want := map[string]bool{}
	for m := 0; m < 6; m++ {
		trajs := rolloutScripted(t, policy, policy, 1, 8, 42, rng)
		for i := range trajs {
			trajs[i].Seq = int64(m*8 + i)
			trajs[i].TrajectoryID = schemas.TrajectoryID("test", "w", "p", trajs[i].Seq)
			want[trajs[i].TrajectoryID] = true
		}
		data, err := schemas.TrajectoryCodec.Encode(trajs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.JS.Publish(ctx, bus.TrajectorySubject("ppo"), data); err != nil {
			t.Fatal(err)
		}
	}
	bad := rolloutScripted(t, policy, policy, 1, 1, 42, rng)
	bad[0].TrajectoryID = schemas.TrajectoryID("test", "w", "p", 99)
	bad[0].Seq = 99
	bad[0].BehaviourLogProbs = bad[0].BehaviourLogProbs[:len(bad[0].BehaviourLogProbs)-1]
	if data, err := schemas.TrajectoryCodec.Encode(bad); err != nil {
		t.Fatal(err)
	} else if _, err := b.JS.Publish(ctx, bus.TrajectorySubject("ppo"), data); err != nil {
		t.Fatal(err)
	}

	used := map[string]int{}
	var versions []int
	o := PPORunOptions{Run: "ppo", Init: "sft", PM: "pm", Batch: 16, Updates: 4, PPO: DefaultPPO(),
		IdleTimeout: 3 * time.Second, AckWait: 2 * time.Second,
		Log: func(st PPOStats, v int, ids []string) {
			versions = append(versions, v)
			for _, id := range ids {
				used[id]++
			}
		}}
	crash := errors.New("killed after publishing")
	o.afterPublish = func() error {
		if len(versions) == 2 {
			return crash
		}
		return nil
	}
	if err := RunPPO(ctx, b.JS, reg, o); !errors.Is(err, crash) {
		t.Fatalf("first run ended with %v", err)
	}
	o.afterPublish = nil
	if err := RunPPO(ctx, b.JS, reg, o); err != nil {
		t.Fatal(err)
	}
	if len(used) != len(want) {
		t.Fatalf("%d distinct trajectories used, want %d", len(used), len(want))
	}
	for id, n := range used {
		if n != 1 || !want[id] {
			t.Fatalf("trajectory %s used %d times", id, n)
		}
	}
	// Version 1 is the SFT policy; each update published the next.
	if len(versions) != 3 || versions[0] != 2 || versions[2] != 4 {
		t.Fatalf("versions %v, want [2 3 4]", versions)
	}
	last, e, err := LoadCheckpoint(ctx, reg, PolicyName("ppo"))
	if err != nil || e.Version != 4 || e.Labels["pm"] != "pm@1" || e.Labels["reference"] != "sft@1" {
		t.Fatalf("newest policy %+v, %v", e, err)
	}
	if last.Model.Config.Kind != KindPolicy {
		t.Fatal("the newest version is not a policy")
	}
	// The bad trajectory went to the dead letters with its reason.
	info, err := b.JS.Stream(ctx, bus.StreamDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := info.GetLastMsgForSubject(ctx, bus.DeadLetterSubject("trainer", "ppo"))
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if reason := msg.Header.Get(schemas.HeaderReason); reason == "" {
		t.Fatalf("dead letter without a reason: %v", msg.Header)
	}
}

// Offline PPO: a recorded run in the lake is learnt from, and a restart continues after the
// rows its newest version used.
func TestPPOFromLake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, reg, policy := ppoRunFixture(t, ctx, "ppo-lake-test")

	lakeDir := t.TempDir()
	w, err := lake.OpenWriter[schemas.Trajectory](lakeDir, "trajectories", "source=rec", lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for m := 0; m < 5; m++ {
		trajs := rolloutScripted(t, policy, policy, 1, 8, 42, rng)
		for i := range trajs {
			trajs[i].Seq = int64(m*8 + i)
			trajs[i].TrajectoryID = schemas.TrajectoryID("test", "w", "p", trajs[i].Seq)
		}
		if err := w.Append(trajs, uint64(m+1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Close()

	used := 0
	o := PPORunOptions{Run: "offline", Init: "sft", PM: "pm", Batch: 16, Updates: 1, PPO: DefaultPPO(), FromLake: lakeDir,
		Log: func(st PPOStats, v int, ids []string) { used += len(ids) }}
	for _, updates := range []int{1, 3} {
		o.Updates = updates
		if err := RunPPO(ctx, b.JS, reg, o); err != nil {
			t.Fatal(err)
		}
	}
	// 40 rows: updates of 16, 16 and the last 8.
	if used != 40 {
		t.Fatalf("%d trajectories used, want each of the 40 once", used)
	}
	if e, err := reg.Resolve(ctx, PolicyName("offline")); err != nil || e.Version != 4 {
		t.Fatalf("newest offline policy %+v, %v", e, err)
	}
	// The run's Prometheus series say the same.
	for name, want := range map[string]float64{"prefstream_ppo_update": 3, "prefstream_ppo_policy_version": 4,
		"prefstream_ppo_trajectories_total": 40, "prefstream_ppo_policy_lag": 40} {
		if got := metricValue(t, name, "run", "offline"); got != want {
			t.Errorf("%s{run=offline} = %v, want %v", name, got, want)
		}
	}
}

// metricValue reads the value (a histogram's count) of the series of name whose label is value
// from the default Prometheus registry.
func metricValue(t *testing.T, name, label, value string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					switch {
					case m.Gauge != nil:
						return m.Gauge.GetValue()
					case m.Counter != nil:
						return m.Counter.GetValue()
					case m.Histogram != nil:
						return float64(m.Histogram.GetSampleCount())
					}
				}
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}
