package rollout

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/trainer"
)

// Workers sharing a ModelCache switch to each version with one copy of its weights, and the
// cache keeps no more models than its capacity.
func TestWorkersShareLoadedModels(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "cache"
	cache := NewModelCache(DefaultCacheModels)
	var installed atomic.Int32
	var workers []*Worker
	for _, name := range []string{"w1", "w2", "w3"} {
		w, _ := c.worker(Options{Run: run, Worker: name, Models: cache, Sampling: trainer.Sampling{MaxNew: 12},
			OnSwitch: func(SwitchReport) { installed.Add(1) }})
		workers = append(workers, w)
		start(ctx, w)
	}
	labels := c.baseModels(run)
	for v := 1; v <= 3; v++ {
		c.publishPolicy(run, c.model(trainer.KindPolicy, uint64(10+v)), labels)
		waitFor(t, 20*time.Second, "every worker to install the version", func() bool { return installed.Load() == int32(3*v) })
		first := workers[0].cur.Load()
		if first.policy.Version != v {
			t.Fatalf("worker 1 uses version %d, want %d", first.policy.Version, v)
		}
		for i, w := range workers[1:] {
			set := w.cur.Load()
			if set.models.Policy != first.models.Policy || set.models.Reference != first.models.Reference ||
				set.models.PM.Model != first.models.PM.Model {
				t.Fatalf("version %d: worker %d loaded its own copy of a model", v, i+2)
			}
		}
		// The cache holds this version, the reference and the PM: not the versions no worker
		// uses any more, and not at the cost of the models every version shares.
		cache.mu.Lock()
		held := slices.Sorted(maps.Keys(cache.loads))
		order := len(cache.order)
		cache.mu.Unlock()
		want := []string{labels[LabelPM], registry.Ref(trainer.PolicyName(run), v), labels[LabelReference]}
		slices.Sort(want)
		if !slices.Equal(held, want) || order != len(held) {
			t.Fatalf("version %d: the cache holds %v (%d in its order), want %v", v, held, order, want)
		}
	}
}

// Workers without a shared cache each load their own copy.
func TestWorkersWithoutACacheLoadTheirOwn(t *testing.T) {
	c := newCluster(t)
	ctx := testContext(t)
	const run = "nocache"
	var installed atomic.Int32
	var workers []*Worker
	for _, name := range []string{"w1", "w2"} {
		w, _ := c.worker(Options{Run: run, Worker: name, Sampling: trainer.Sampling{MaxNew: 12}, OnSwitch: func(SwitchReport) { installed.Add(1) }})
		workers = append(workers, w)
		start(ctx, w)
	}
	c.publishPolicy(run, c.model(trainer.KindPolicy, 10), c.baseModels(run))
	waitFor(t, 20*time.Second, "both workers to install the policy", func() bool { return installed.Load() == 2 })
	if workers[0].cur.Load().models.Policy == workers[1].cur.Load().models.Policy {
		t.Fatal("two workers without a shared cache share a model")
	}
}

// A worker stopped while it loads a version does not fail the workers waiting for it: one of
// them loads it instead.
func TestModelCacheLoaderStopped(t *testing.T) {
	cache := NewModelCache(2)
	started := make(chan struct{})
	var calls atomic.Int32
	want := &trainer.Checkpoint{}
	cache.load = func(ctx context.Context, _ *registry.Registry, ref string) (*trainer.Checkpoint, registry.Entry, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done() // the first loader is stopped mid-load
			return nil, registry.Entry{}, ctx.Err()
		}
		return want, registry.Entry{Name: "policy-r", Version: 1}, nil
	}
	stopped, stop := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, _, err := cache.checkpoint(stopped, nil, "policy-r@1")
		first <- err
	}()
	<-started
	waiter := make(chan *trainer.Checkpoint, 1)
	go func() {
		ck, _, err := cache.checkpoint(context.Background(), nil, "policy-r@1")
		if err != nil {
			t.Error(err)
		}
		waiter <- ck
	}()
	time.Sleep(50 * time.Millisecond) // the waiter is waiting on the first load
	stop()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped loader got %v", err)
	}
	if ck := <-waiter; ck != want || calls.Load() != 2 {
		t.Fatalf("the waiter got %p after %d loads, want the second load's checkpoint", ck, calls.Load())
	}
}
