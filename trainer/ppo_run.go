package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/schemas"
)

// PPORunOptions configure an online (or offline, from the lake) PPO run.
type PPORunOptions struct {
	// Run names the run: trajectories come from trajectories.<Run>, policy versions go to the
	// registry as "policy-<Run>".
	Run string
	// Init is the SFT policy the run starts from (and the frozen reference); PM the preference
	// model whose scores the workers use as rewards. Both are registry references, read only
	// when the run starts for the first time.
	Init, PM string
	// Batch is trajectories per update; Updates stops the run after that many (0: never).
	Batch   int
	Updates int
	PPO     PPOOptions
	// IdleTimeout ends the run when no trajectory arrived for that long (0: wait forever).
	IdleTimeout time.Duration
	// AckWait is how long trajectories handed to the trainer stay unacknowledged before the
	// server offers them again (they are acknowledged once their update is checkpointed).
	AckWait time.Duration
	// FromLake replays a lake folder of trajectories instead of the stream (offline learning):
	// every trajectory is used, however old its policy, with truncated importance weights.
	FromLake string
	// Log receives each update's statistics, the version published and the trajectories used.
	Log func(st PPOStats, version int, used []string)
	// OnDropped hears of a batch whose trajectories were all too stale to use.
	OnDropped func(st PPOStats)
	// afterPublish, in tests, runs between a version's publish and the acks (a crash there
	// must not make trajectories count twice).
	afterPublish func() error
}

// ppoState is what each policy version records of the run for an exact restart.
type ppoState struct {
	Run    string  `json:"run"`
	Update int     `json:"update"`
	Beta   float64 `json:"beta"`
	// Used holds the stream sequences (or lake positions) of the trajectories of the update
	// that made this version: if the trainer stopped before acknowledging them, they are
	// recognised on redelivery and not used again.
	Used    []uint64     `json:"used"`
	LakeRow int64        `json:"lake_row,omitempty"`
	Scores  RunningStats `json:"scores"`
	PM      string       `json:"pm"`
	Ref     string       `json:"reference"`
}

// PPOConsumer is the durable consumer through which a run's trainer takes its trajectories;
// rollout workers read its backlog to avoid sampling far ahead of the trainer.
func PPOConsumer(run string) string { return "ppo-" + run }

// PolicyName is the registry name of a run's policy versions.
func PolicyName(run string) string { return "policy-" + run }

// RunPPO runs PPO updates until ctx is done, the update budget is spent or the trajectories
// stop coming (IdleTimeout). It resumes from the newest policy version of the run.
func RunPPO(ctx context.Context, js jetstream.JetStream, reg *registry.Registry, o PPORunOptions) error {
	if err := registry.ValidName(PolicyName(o.Run)); err != nil {
		return fmt.Errorf("trainer: run %q: %w", o.Run, err)
	}
	if o.Batch < 1 {
		o.Batch = 32
	}
	if o.AckWait <= 0 {
		o.AckWait = 5 * time.Minute
	}
	if o.FromLake != "" {
		o.PPO.Stale = "truncate"
	}
	name := PolicyName(o.Run)
	ck, entry, err := LoadCheckpoint(ctx, reg, name)
	if errors.Is(err, registry.ErrNotFound) {
		if ck, entry, err = startPolicy(ctx, reg, o); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	var st ppoState
	if err := json.Unmarshal(ck.State, &st); err != nil {
		return fmt.Errorf("trainer: %s: unreadable run state: %w", entry.Ref(), err)
	}
	ppo, err := NewPPO(ck.Model, o.PPO)
	if err != nil {
		return err
	}
	if ck.Opt != nil {
		ck.Opt.LR = o.PPO.LR
		ppo.Opt = ck.Opt
	}
	ppo.Update, ppo.Beta, ppo.Scores = st.Update, st.Beta, st.Scores
	version := entry.Version
	if o.Updates > 0 && st.Update >= o.Updates {
		return nil
	}
	var src trajectorySource
	if o.FromLake != "" {
		src, err = newLakeTrajectories(o.FromLake, st.LakeRow)
	} else {
		src, err = newStreamTrajectories(ctx, js, o)
	}
	if err != nil {
		return err
	}
	defer src.close()
	// Trajectories of the newest version's update that may still be redelivered: skipped when
	// they come, and carried into every checkpoint until they have (so a second crash keeps
	// them recognised too).
	skip := map[uint64]bool{}
	for _, seq := range st.Used {
		skip[seq] = true
	}
	for o.Updates == 0 || ppo.Update < o.Updates {
		batch, err := src.next(ctx, o.Batch, skip, ppo)
		if err != nil {
			return err
		}
		if len(batch.trajs) == 0 {
			return nil // idle or the lake is read
		}
		stats, err := ppo.Step(batch.trajs, int64(version))
		if err != nil {
			return fmt.Errorf("trainer: update %d: %w", ppo.Update+1, err)
		}
		if stats.Trajectories == 0 {
			// Every trajectory was too stale to use: nothing was learnt, so no new version;
			// they are acknowledged (dropped) and the next batch is collected.
			if o.OnDropped != nil {
				o.OnDropped(stats)
			}
			observeDropped(o.Run, stats)
			if err := batch.ack(ctx); err != nil {
				return err
			}
			continue
		}
		st.Update, st.Beta, st.Used, st.LakeRow, st.Scores = ppo.Update, ppo.Beta, batch.used, batch.lakeRow, ppo.Scores
		for seq := range skip {
			st.Used = append(st.Used, seq)
		}
		state, _ := json.Marshal(st)
		metrics := map[string]float64{"update": float64(stats.Update), "reward": stats.MeanReward, "kl": stats.MeanKL,
			"beta": stats.Beta, "entropy": stats.Entropy, "clip_fraction": stats.ClipFraction, "value_loss": stats.ValueLoss,
			"tokens_per_s": stats.TokensPerSec, "trajectories": float64(stats.Trajectories), "dropped": float64(stats.Dropped)}
		e, err := publishPolicy(ctx, reg, &Checkpoint{Model: ppo.Model, Tok: ck.Tok, Opt: ppo.Opt, State: state}, o.Run, st, metrics)
		if err != nil {
			return err
		}
		version = e.Version
		observePPO(o.Run, stats, version)
		if o.Log != nil {
			o.Log(stats, version, batch.ids)
		}
		if o.afterPublish != nil {
			if err := o.afterPublish(); err != nil {
				return err
			}
		}
		if err := batch.ack(ctx); err != nil {
			return err
		}
	}
	return nil
}

// startPolicy publishes the SFT policy as the run's first version.
func startPolicy(ctx context.Context, reg *registry.Registry, o PPORunOptions) (*Checkpoint, registry.Entry, error) {
	if o.Init == "" || o.PM == "" {
		return nil, registry.Entry{}, fmt.Errorf("trainer: run %s has no policy yet: give the SFT policy (--init) and the preference model (--pm)", o.Run)
	}
	ck, e, err := LoadCheckpoint(ctx, reg, o.Init)
	if err != nil {
		return nil, e, fmt.Errorf("--init %s: %w", o.Init, err)
	}
	if ck.Model.Config.Kind != KindPolicy {
		return nil, e, fmt.Errorf("--init %s is a %s, not a policy", e.Ref(), ck.Model.Config.Kind)
	}
	pm, err := reg.Resolve(ctx, o.PM)
	if err != nil {
		return nil, e, fmt.Errorf("--pm %s: %w", o.PM, err)
	}
	if pm.Kind != KindPM {
		return nil, e, fmt.Errorf("--pm %s is a %s, not a preference model", pm.Ref(), pm.Kind)
	}
	st := ppoState{Run: o.Run, Beta: o.PPO.Beta, PM: pm.Ref(), Ref: e.Ref()}
	ck.State, _ = json.Marshal(st)
	ck.Opt = nil
	pe, err := publishPolicy(ctx, reg, ck, o.Run, st, nil)
	if err != nil {
		return nil, e, err
	}
	return ck, pe, nil
}

func publishPolicy(ctx context.Context, reg *registry.Registry, ck *Checkpoint, run string, st ppoState, metrics map[string]float64) (registry.Entry, error) {
	config, _ := json.Marshal(ck.Model.Config)
	e := registry.Entry{Name: PolicyName(run), Kind: KindPolicy, Config: config, Tokenizer: ck.Tok.Version(), Parent: st.Ref,
		Metrics: metrics, Labels: map[string]string{"run": run, "pm": st.PM, "reference": st.Ref, "update": strconv.Itoa(st.Update)}}
	pr, pw := io.Pipe()
	go func() { _, err := ck.WriteTo(pw); pw.CloseWithError(err) }()
	out, err := reg.Publish(ctx, e, pr)
	pr.CloseWithError(err)
	if err != nil {
		return out, fmt.Errorf("trainer: publishing %s: %w", e.Name, err)
	}
	return out, nil
}

// trajBatch is the trajectories of one update and how to acknowledge them.
type trajBatch struct {
	trajs   []schemas.Trajectory
	ids     []string
	used    []uint64
	lakeRow int64
	ack     func(context.Context) error
}

type trajectorySource interface {
	next(ctx context.Context, n int, skip map[uint64]bool, p *PPO) (trajBatch, error)
	close()
}

// streamTrajectories reads trajectories.<run> with the durable consumer "ppo-<run>".
type streamTrajectories struct {
	js   jetstream.JetStream
	cons jetstream.Consumer
	o    PPORunOptions
}

func newStreamTrajectories(ctx context.Context, js jetstream.JetStream, o PPORunOptions) (*streamTrajectories, error) {
	spec := bus.ConsumerSpec{Stream: bus.StreamTrajectories, Durable: PPOConsumer(o.Run),
		FilterSubjects: []string{bus.TrajectorySubject(o.Run)}, MaxAckPending: 4 * max(o.Batch, 64),
		MaxDeliver: -1, AckWait: o.AckWait, PullMaxBytes: 64 << 20, DeadLetters: bus.DeadLetterSubject("trainer", o.Run)}
	cons, err := bus.CreateConsumer(ctx, js, spec)
	if err != nil {
		return nil, fmt.Errorf("trainer: trajectories of %s: %w", o.Run, err)
	}
	return &streamTrajectories{js: js, cons: cons, o: o}, nil
}

func (s *streamTrajectories) close() {}

func (s *streamTrajectories) next(ctx context.Context, n int, skip map[uint64]bool, p *PPO) (trajBatch, error) {
	var b trajBatch
	var msgs []jetstream.Msg
	idleSince := time.Now()
	for len(b.trajs) < n {
		if err := ctx.Err(); err != nil {
			return trajBatch{}, err
		}
		fetch, err := s.cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return trajBatch{}, fmt.Errorf("trainer: fetching trajectories: %w", err)
		}
		got := 0
		for msg := range fetch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return trajBatch{}, err
			}
			seq := meta.Sequence.Stream
			if skip[seq] {
				// Used by the update of the newest version; the trainer stopped before its ack.
				delete(skip, seq)
				if err := msg.DoubleAck(ctx); err != nil {
					return trajBatch{}, err
				}
				continue
			}
			trajs, err := schemas.TrajectoryCodec.Decode(msg.Data())
			if err != nil {
				if err := s.deadLetter(ctx, msg, seq, "undecodable trajectory batch: "+err.Error()); err != nil {
					return trajBatch{}, err
				}
				continue
			}
			for i := range trajs {
				if err := p.CheckTrajectory(&trajs[i]); err != nil {
					if err := s.deadLetterOne(ctx, msg, trajs[i], seq, err.Error()); err != nil {
						return trajBatch{}, err
					}
					continue
				}
				b.trajs = append(b.trajs, trajs[i])
				b.ids = append(b.ids, trajs[i].TrajectoryID)
			}
			b.used = append(b.used, seq)
			msgs = append(msgs, msg)
		}
		if err := fetch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return trajBatch{}, fmt.Errorf("trainer: fetching trajectories: %w", err)
		}
		if got > 0 {
			idleSince = time.Now()
		} else if s.o.IdleTimeout > 0 && time.Since(idleSince) > s.o.IdleTimeout {
			if len(b.trajs) > 0 {
				break
			}
			return trajBatch{}, nil
		}
		for _, m := range msgs {
			m.InProgress()
		}
	}
	b.ack = func(ctx context.Context) error {
		for _, m := range msgs {
			if err := m.DoubleAck(ctx); err != nil {
				return fmt.Errorf("trainer: acknowledging trajectories: %w", err)
			}
		}
		return nil
	}
	return b, nil
}

func (s *streamTrajectories) deadLetter(ctx context.Context, msg jetstream.Msg, seq uint64, reason string) error {
	origin := fmt.Sprintf("%s seq %d", bus.StreamTrajectories, seq)
	if err := bus.DeadLetter(ctx, s.js, bus.DeadLetterSubject("trainer", s.o.Run), fmt.Sprintf("trainer-%d", seq), msg.Data(), msg.Headers(), reason, origin); err != nil {
		return err
	}
	return msg.DoubleAck(ctx)
}

// deadLetterOne dead-letters one bad trajectory of a batch whose others are used.
func (s *streamTrajectories) deadLetterOne(ctx context.Context, msg jetstream.Msg, t schemas.Trajectory, seq uint64, reason string) error {
	data, err := schemas.TrajectoryCodec.Encode([]schemas.Trajectory{t})
	if err != nil {
		data = nil
	}
	origin := fmt.Sprintf("%s seq %d trajectory %s", bus.StreamTrajectories, seq, t.TrajectoryID)
	return bus.DeadLetter(ctx, s.js, bus.DeadLetterSubject("trainer", s.o.Run), "trainer-"+t.TrajectoryID, data, msg.Headers(), reason, origin)
}

// lakeTrajectories replays a lake folder of trajectories in lake order, from a row, reading
// row groups as they are needed (memory stays bounded whatever the lake's size).
type lakeTrajectories struct {
	rows   chan schemas.Trajectory
	errc   chan error
	cancel context.CancelFunc
	pos    int64
}

func newLakeTrajectories(dir string, from int64) (*lakeTrajectories, error) {
	if _, err := lake.Files(dir); err != nil {
		return nil, fmt.Errorf("trainer: trajectories in %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &lakeTrajectories{rows: make(chan schemas.Trajectory, 256), errc: make(chan error, 1), cancel: cancel, pos: from}
	go func() {
		defer close(l.rows)
		var row int64
		l.errc <- lake.Scan(dir, func(_ string, batch []schemas.Trajectory) error {
			for _, t := range batch {
				row++
				if row <= from {
					continue
				}
				t.PromptTokens, t.ResponseTokens = slices.Clone(t.PromptTokens), slices.Clone(t.ResponseTokens)
				t.BehaviourLogProbs, t.ReferenceLogProbs = slices.Clone(t.BehaviourLogProbs), slices.Clone(t.ReferenceLogProbs)
				select {
				case l.rows <- t:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}()
	return l, nil
}

func (l *lakeTrajectories) close() { l.cancel() }

func (l *lakeTrajectories) next(ctx context.Context, n int, _ map[uint64]bool, p *PPO) (trajBatch, error) {
	var b trajBatch
	for len(b.trajs) < n {
		t, ok := <-l.rows
		if !ok {
			if err := <-l.errc; err != nil {
				return trajBatch{}, fmt.Errorf("trainer: reading trajectories: %w", err)
			}
			l.errc <- nil
			break
		}
		l.pos++
		if p.CheckTrajectory(&t) != nil {
			continue
		}
		b.trajs = append(b.trajs, t)
		b.ids = append(b.ids, t.TrajectoryID)
	}
	b.lakeRow = l.pos
	b.ack = func(context.Context) error { return nil }
	return b, ctx.Err()
}
