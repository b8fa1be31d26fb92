package rollout

import (
	"context"
	"slices"
	"sync"

	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/trainer"
)

// DefaultCacheModels is how many loaded models a ModelCache keeps: the policy version in use,
// the next one, the reference and the preference model.
const DefaultCacheModels = 4

// ModelCache shares loaded models between the workers of one process: each registry version is
// fetched, verified and decoded once, however many workers switch to it at the same moment,
// and they sample from the same read-only weights. Safe for concurrent use.
type ModelCache struct {
	capacity int
	// load fetches and decodes one version (loadCheckpoint; tests replace it).
	load  func(ctx context.Context, reg *registry.Registry, ref string) (*trainer.Checkpoint, registry.Entry, error)
	mu    sync.Mutex
	loads map[string]*cachedLoad
	// order holds the refs of loads, least recently used first.
	order []string
}

type cachedLoad struct {
	done  chan struct{}
	ck    *trainer.Checkpoint
	entry registry.Entry
	err   error
	// stopped: the worker loading it was stopped mid-load (its context ended), so err says
	// nothing of the version.
	stopped bool
}

// NewModelCache keeps up to capacity loaded models (DefaultCacheModels if capacity < 1). A
// worker keeps using a model it holds after the cache lets go of it.
func NewModelCache(capacity int) *ModelCache {
	if capacity < 1 {
		capacity = DefaultCacheModels
	}
	return &ModelCache{capacity: capacity, loads: map[string]*cachedLoad{}, load: loadCheckpoint}
}

// checkpoint returns the model stored under ref ("name@version"), loading it with reg unless
// it is cached or being loaded by another worker, whose result (or error) it then shares,
// unless that worker was stopped mid-load: then this call loads it. A failed load is not kept:
// the next call tries again.
func (c *ModelCache) checkpoint(ctx context.Context, reg *registry.Registry, ref string) (*trainer.Checkpoint, registry.Entry, error) {
	c.mu.Lock()
	l, ok := c.loads[ref]
	if !ok {
		l = &cachedLoad{done: make(chan struct{})}
		c.loads[ref] = l
	}
	c.touch(ref)
	c.mu.Unlock()

	if ok {
		select {
		case <-l.done:
			if l.stopped && ctx.Err() == nil {
				return c.checkpoint(ctx, reg, ref) // the worker loading it stopped, not the load: load it here
			}
			return l.ck, l.entry, l.err
		case <-ctx.Done():
			return nil, registry.Entry{}, ctx.Err()
		}
	}
	l.ck, l.entry, l.err = c.load(ctx, reg, ref)
	l.stopped = l.err != nil && ctx.Err() != nil
	c.mu.Lock()
	if l.err != nil {
		delete(c.loads, ref)
		c.order = removeRef(c.order, ref)
	} else {
		c.dropOlder(ref)
	}
	c.evict()
	c.mu.Unlock()
	close(l.done)
	return l.ck, l.entry, l.err
}

// keep marks the models of refs as in use (a worker reusing them for a new policy version), so
// that the cache lets go of old policy versions before them.
func (c *ModelCache) keep(refs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ref := range refs {
		if _, ok := c.loads[ref]; ok {
			c.touch(ref)
		}
	}
}

// dropOlder forgets the finished loads of earlier versions of ref's model: workers only move
// to newer versions, so no worker will ask for those again. c.mu is held.
func (c *ModelCache) dropOlder(ref string) {
	name, version, err := registry.ParseRef(ref)
	if err != nil || version <= 0 {
		return
	}
	for _, other := range slices.Clone(c.order) {
		n, v, err := registry.ParseRef(other)
		if err != nil || n != name || v <= 0 || v >= version {
			continue
		}
		select {
		case <-c.loads[other].done:
			delete(c.loads, other)
			c.order = removeRef(c.order, other)
		default:
		}
	}
}

// touch moves ref to the most recently used end; c.mu is held.
func (c *ModelCache) touch(ref string) {
	c.order = append(removeRef(c.order, ref), ref)
}

// evict drops the least recently used finished loads beyond the capacity; c.mu is held.
func (c *ModelCache) evict() {
	for i := 0; len(c.loads) > c.capacity && i < len(c.order); {
		ref := c.order[i]
		select {
		case <-c.loads[ref].done:
			delete(c.loads, ref)
			c.order = append(c.order[:i], c.order[i+1:]...)
		default:
			i++
		}
	}
}

func removeRef(order []string, ref string) []string {
	for i, r := range order {
		if r == ref {
			return append(order[:i], order[i+1:]...)
		}
	}
	return order
}
