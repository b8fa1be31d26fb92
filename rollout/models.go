package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/trainer"
)

// modelSet is one installed policy version with the models it names. It is never changed once
// installed: the sampling goroutine reads it while the next one is built.
type modelSet struct {
	models                Models
	policy, pm, reference registry.Entry
}

// follow installs each newer version of the run's policy as it is published, until ctx ends.
func (w *Worker) follow(ctx context.Context) {
	name := trainer.PolicyName(w.o.Run)
	for ctx.Err() == nil {
		updates, err := w.reg.Watch(ctx, name)
		if err != nil {
			w.log.Warn("cannot watch the registry; trying again", zap.String("model", name), zap.Error(err))
		} else {
			for e := range updates {
				w.consider(ctx, e)
			}
		}
		if sleep(ctx, time.Second) != nil {
			return
		}
		w.log.Debug("the registry watch ended; watching again", zap.String("model", name))
	}
}

// consider loads a policy version newer than the one in use and installs it, or says why it
// cannot and keeps the one in use.
func (w *Worker) consider(ctx context.Context, e registry.Entry) {
	cur := w.cur.Load()
	if cur != nil && e.Version <= cur.policy.Version {
		return
	}
	start := time.Now()
	next, err := w.load(ctx, e, cur)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		w.stats.loadFailures.Add(1)
		w.m.loadFailures.Inc()
		if cur != nil {
			w.log.Error("cannot use the new policy version; keeping the one in use",
				zap.String("rejected", e.Ref()), zap.String("keeping", cur.policy.Ref()), zap.Error(err))
		} else {
			w.log.Error("cannot use the policy version; waiting for another", zap.String("rejected", e.Ref()), zap.Error(err))
		}
		return
	}
	took := time.Since(start)
	w.cur.Store(next)
	w.stats.version.Store(int64(next.policy.Version))
	w.m.version.Set(float64(next.policy.Version))
	w.m.loadSeconds.Set(took.Seconds())
	fields := []zap.Field{zap.String("policy", next.policy.Ref()), zap.String("pm", next.pm.Ref()),
		zap.String("reference", next.reference.Ref()), zap.Duration("load", took)}
	if cur != nil {
		fields = append(fields, zap.String("previous", cur.policy.Ref()))
	}
	w.log.Info("policy installed", fields...)
	w.readyOnce.Do(func() { close(w.ready) })
	if w.o.OnSwitch != nil {
		w.o.OnSwitch(SwitchReport{Policy: next.policy, PM: next.pm, Reference: next.reference, Load: took, At: time.Now()})
	}
}

// load fetches and checks policy version e and the models its labels name, reusing those of
// cur that are the same versions.
func (w *Worker) load(ctx context.Context, e registry.Entry, cur *modelSet) (*modelSet, error) {
	if e.Kind != "" && e.Kind != trainer.KindPolicy {
		return nil, fmt.Errorf("rollout: %s is a %q entry, not a %s", e.Ref(), e.Kind, trainer.KindPolicy)
	}
	pmRef, refRef := e.Labels[LabelPM], e.Labels[LabelReference]
	if pmRef == "" || refRef == "" {
		return nil, fmt.Errorf("rollout: %s: the labels %q and %q must name the preference model and the reference policy (have %v)",
			e.Ref(), LabelPM, LabelReference, e.Labels)
	}
	ck, pe, err := w.models.checkpoint(ctx, w.reg, e.Ref())
	if err != nil {
		return nil, err
	}
	set := &modelSet{policy: pe, models: Models{Policy: ck.Model, Tok: ck.Tok}}
	if err := checkKind(pe, ck.Model, trainer.KindPolicy); err != nil {
		return nil, err
	}
	if c := ck.Model.Config.Context; w.o.Sampling.MaxNew >= c {
		return nil, fmt.Errorf("rollout: %s has a context of %d tokens: max new tokens %d leaves no room for a prompt", pe.Ref(), c, w.o.Sampling.MaxNew)
	}

	refEntry, err := w.reg.Resolve(ctx, refRef)
	if err != nil {
		return nil, fmt.Errorf("rollout: %s: reference %q: %w", e.Ref(), refRef, err)
	}
	if cur != nil && cur.reference.Ref() == refEntry.Ref() {
		set.reference, set.models.Reference = cur.reference, cur.models.Reference
		w.models.keep(refEntry.Ref())
	} else {
		rck, re, err := w.models.checkpoint(ctx, w.reg, refEntry.Ref())
		if err != nil {
			return nil, fmt.Errorf("rollout: %s: reference: %w", e.Ref(), err)
		}
		if err := checkKind(re, rck.Model, trainer.KindPolicy); err != nil {
			return nil, fmt.Errorf("rollout: %s: reference: %w", e.Ref(), err)
		}
		set.reference, set.models.Reference = re, rck.Model
	}
	ref := set.models.Reference
	switch {
	case ref.Tokenizer != ck.Model.Tokenizer:
		return nil, fmt.Errorf("rollout: %s uses tokenizer %s but its reference %s uses %s", pe.Ref(), ck.Model.Tokenizer, set.reference.Ref(), ref.Tokenizer)
	case ref.Config.Vocab != ck.Model.Config.Vocab:
		return nil, fmt.Errorf("rollout: %s has %d tokens but its reference %s %d", pe.Ref(), ck.Model.Config.Vocab, set.reference.Ref(), ref.Config.Vocab)
	case ref.Config.Context < ck.Model.Config.Context:
		return nil, fmt.Errorf("rollout: the reference %s has a context of %d tokens, less than the %d of %s", set.reference.Ref(), ref.Config.Context, ck.Model.Config.Context, pe.Ref())
	}

	pmEntry, err := w.reg.Resolve(ctx, pmRef)
	if err != nil {
		return nil, fmt.Errorf("rollout: %s: preference model %q: %w", e.Ref(), pmRef, err)
	}
	if cur != nil && cur.pm.Ref() == pmEntry.Ref() {
		set.pm, set.models.PM = cur.pm, cur.models.PM
		w.models.keep(pmEntry.Ref())
	} else {
		pck, pme, err := w.models.checkpoint(ctx, w.reg, pmEntry.Ref())
		if err != nil {
			return nil, fmt.Errorf("rollout: %s: preference model: %w", e.Ref(), err)
		}
		if err := checkKind(pme, pck.Model, trainer.KindPM); err != nil {
			return nil, fmt.Errorf("rollout: %s: preference model: %w", e.Ref(), err)
		}
		scorer, err := trainer.NewScorer(pck.Model, pck.Tok)
		if err != nil {
			return nil, fmt.Errorf("rollout: %s: preference model %s: %w", e.Ref(), pme.Ref(), err)
		}
		set.pm, set.models.PM = pme, scorer
	}
	return set, nil
}

func checkKind(e registry.Entry, m *trainer.Model, kind string) error {
	if m.Config.Kind != kind {
		return fmt.Errorf("rollout: %s holds a %s model, not a %s", e.Ref(), m.Config.Kind, kind)
	}
	if e.Kind != "" && e.Kind != kind {
		return fmt.Errorf("rollout: %s is a %q entry, not a %s", e.Ref(), e.Kind, kind)
	}
	return nil
}

// loadCheckpoint is trainer.LoadCheckpoint (sha256 and size checked as the bytes stream),
// tried again on errors a cluster gives for a moment. The optimizer state is dropped.
func loadCheckpoint(ctx context.Context, reg *registry.Registry, ref string) (*trainer.Checkpoint, registry.Entry, error) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			if serr := sleep(ctx, time.Duration(attempt)*time.Second); serr != nil {
				return nil, registry.Entry{}, serr
			}
		}
		var ck *trainer.Checkpoint
		var e registry.Entry
		ck, e, err = trainer.LoadCheckpoint(ctx, reg, ref)
		if err == nil {
			ck.Opt = nil
			return ck, e, nil
		}
		if !bus.Transient(err) || ctx.Err() != nil {
			break
		}
	}
	var corrupt *registry.CorruptError
	if errors.As(err, &corrupt) {
		return nil, registry.Entry{}, fmt.Errorf("rollout: %s failed verification: %w", ref, err)
	}
	return nil, registry.Entry{}, fmt.Errorf("rollout: loading %s: %w", ref, err)
}
