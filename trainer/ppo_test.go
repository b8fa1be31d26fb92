package trainer

import (
	"math/rand/v2"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// rolloutScripted samples trajectories from the policy with a scripted reward.
// The reward is the number of response tokens equal to favoured.
func rolloutScripted(t testing.TB, policy, ref *Model, version int64, n int, favoured int32, rng *rand.Rand) []schemas.Trajectory {
	t.Helper()
	prompts := make([][]int32, n)
	for i := range prompts {
		prompts[i] = []int32{int32(rng.IntN(250)), int32(rng.IntN(250)), int32(rng.IntN(250))}
	}
	gens, err := policy.Generate(prompts, Sampling{Temperature: 1, TopP: 1, MaxNew: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	var seqs [][]int32
	var starts []int
	for _, g := range gens {
		seqs = append(seqs, append(append([]int32{}, g.Prompt...), g.Tokens...))
		starts = append(starts, len(g.Prompt))
	}
	refLP, err := ref.TokenLogProbs(seqs, starts, 1)
	if err != nil {
		t.Fatal(err)
	}
	trajs := make([]schemas.Trajectory, n)
	for i, g := range gens {
		hits := 0
		for _, tok := range g.Tokens {
			if tok == favoured {
				hits++
			}
		}
		trajs[i] = schemas.Trajectory{Run: "test", Worker: "w", PromptID: "p", Seq: int64(i), TrajectoryID: schemas.TrajectoryID("test", "w", "p", int64(i)), PolicyVersion: version, PromptTokens: g.Prompt,
			ResponseTokens: g.Tokens, BehaviourLogProbs: g.LogProbs, ReferenceLogProbs: refLP[i],
			Reward: float64(hits), Temperature: 1, TopP: 1, Tokenizer: policy.Tokenizer}
	}
	return trajs
}

func cloneModel(t testing.TB, m *Model) *Model {
	t.Helper()
	c, _ := New(m.Config, 0)
	for i, p := range m.Params.List {
		copy(c.Params.List[i].Data, p.Data)
	}
	c.Tokenizer = m.Tokenizer
	return c
}

// With the KL penalty, the best policy for this reward puts exp(1/beta) times the reference
// odds on the favoured token: about 17% at beta 0.25 (from 0.4%), about 1.4 favoured tokens
// of 8 at a KL near 4 nats per response. PPO must get most of the way there.
func TestPPORaisesScriptedReward(t *testing.T) {
	for _, tc := range []struct {
		name           string
		beta, targetKL float64
	}{
		{"fixed beta", 0.25, 0},
		{"adaptive beta", 0.25, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Vocab: 264, Context: 16, DModel: 32, Layers: 1, Heads: 2, DFF: 64, Kind: KindPolicy}
			policy, _ := New(c, 9)
			ref := cloneModel(t, policy)
			o := DefaultPPO()
			o.LR, o.TargetKL, o.Beta, o.Minibatch, o.Epochs = 2e-3, tc.targetKL, tc.beta, 16, 2
			ppo, err := NewPPO(policy, o)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			const favoured, updates = 42, 40
			var first, tail PPOStats
			for u := 0; u < updates; u++ {
				trajs := rolloutScripted(t, policy, ref, int64(u+1), 64, favoured, rng)
				for i := range trajs {
					if err := ppo.CheckTrajectory(&trajs[i]); err != nil {
						t.Fatal(err)
					}
				}
				st, err := ppo.Step(trajs, int64(u+1))
				if err != nil {
					t.Fatal(err)
				}
				if u == 0 {
					first = st
				}
				if u >= updates-5 {
					tail.MeanReward += st.MeanReward / 5
					tail.MeanKL += st.MeanKL / 5
				}
				if u%5 == 4 {
					t.Logf("update %d: reward %.3f KL %.3f beta %.4f entropy %.2f clip %.3f value loss %.4f", st.Update, st.MeanReward, st.MeanKL, st.Beta, st.Entropy, st.ClipFraction, st.ValueLoss)
				}
			}
			if tail.MeanReward < first.MeanReward+0.5 {
				t.Errorf("mean reward %.3f over the last 5 updates, %.3f at first: want a rise of at least 0.5", tail.MeanReward, first.MeanReward)
			}
			limit := 8.0
			if tc.targetKL > 0 {
				limit = 1.5 * tc.targetKL
			}
			if tail.MeanKL > limit {
				t.Errorf("mean KL %.3f over the last 5 updates, want at most %.1f", tail.MeanKL, limit)
			}
		})
	}
}

func TestStaleTrajectoriesDroppedOrWeighted(t *testing.T) {
	c := Config{Vocab: 264, Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: KindPolicy}
	for _, mode := range []string{"drop", "truncate"} {
		policy, _ := New(c, 1)
		ref := cloneModel(t, policy)
		o := DefaultPPO()
		o.Stale, o.MaxStaleness = mode, 2
		ppo, err := NewPPO(policy, o)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		trajs := rolloutScripted(t, policy, ref, 10, 12, 42, rng)
		for i := range trajs {
			trajs[i].PolicyVersion = []int64{10, 9, 5}[i%3] // lags 0, 1 and 5
		}
		st, err := ppo.Step(trajs, 10)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lag[0] != 4 || st.Lag[1] != 4 || st.Lag[5] != 4 {
			t.Fatalf("%s: lag histogram %v", mode, st.Lag)
		}
		wantDropped, wantUsed := 4, 8
		if mode == "truncate" {
			wantDropped, wantUsed = 0, 12
		}
		if st.Dropped != wantDropped || st.Trajectories != wantUsed {
			t.Fatalf("%s: dropped %d used %d, want %d and %d", mode, st.Dropped, st.Trajectories, wantDropped, wantUsed)
		}
		if st.MeanIS <= 0 || st.MeanIS > 1 {
			t.Fatalf("%s: mean importance weight %v outside (0, 1]", mode, st.MeanIS)
		}
	}
}
