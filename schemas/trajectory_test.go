package schemas

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func validTrajectory() Trajectory {
	t := Trajectory{
		Run: "ppo-1", Worker: "worker-a", Seq: 7, PolicyVersion: 3, PM: "pm@2", Reference: "sft@1", Tokenizer: "bpe-0123",
		PromptID: "p1", Prompt: "Why?", Response: "Because.",
		PromptTokens: []int32{5, 6, 7}, ResponseTokens: []int32{8, 9, 0},
		BehaviourLogProbs: []float32{-0.5, -1.25, -3}, ReferenceLogProbs: []float32{-0.75, -1, 0},
		Reward: 0.8, Temperature: 1, TopP: 0.95, Seed: 42, CreatedUnix: 1_800_000_000,
	}
	t.TrajectoryID = TrajectoryID(t.Run, t.Worker, t.PromptID, t.Seq)
	return t
}

func TestTrajectoryValidate(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name   string
		change func(tr *Trajectory)
		want   string // "" means valid
	}{
		{"valid", func(*Trajectory) {}, ""},
		{"no prompt tokens", func(tr *Trajectory) { tr.PromptTokens = nil }, ""},
		{"log-prob a hair above 0", func(tr *Trajectory) { tr.BehaviourLogProbs[0] = 1e-6 }, ""},
		{"greedy sampling", func(tr *Trajectory) { tr.Temperature = 0 }, ""},
		{"no response tokens", func(tr *Trajectory) {
			tr.ResponseTokens, tr.BehaviourLogProbs, tr.ReferenceLogProbs = nil, nil, nil
		}, "no response tokens"},
		{"behaviour log-probs short", func(tr *Trajectory) { tr.BehaviourLogProbs = tr.BehaviourLogProbs[:2] }, "2 behaviour log-probs for 3 response tokens"},
		{"reference log-probs long", func(tr *Trajectory) { tr.ReferenceLogProbs = append(tr.ReferenceLogProbs, -1) }, "4 reference log-probs for 3 response tokens"},
		{"NaN behaviour log-prob", func(tr *Trajectory) { tr.BehaviourLogProbs[1] = nan }, "behaviour log-prob of response token 1 is NaN"},
		{"infinite reference log-prob", func(tr *Trajectory) { tr.ReferenceLogProbs[2] = -inf }, "reference log-prob of response token 2 is -Inf"},
		{"positive log-prob", func(tr *Trajectory) { tr.ReferenceLogProbs[0] = 0.5 }, "reference log-prob of response token 0 is 0.5 > 0"},
		{"NaN reward", func(tr *Trajectory) { tr.Reward = math.NaN() }, "reward is NaN"},
		{"infinite reward", func(tr *Trajectory) { tr.Reward = math.Inf(-1) }, "reward is -Inf"},
		{"negative response token", func(tr *Trajectory) { tr.ResponseTokens[1] = -4 }, "response token 1 has the negative id -4"},
		{"negative prompt token", func(tr *Trajectory) { tr.PromptTokens[0] = -1 }, "prompt token 0 has the negative id -1"},
		{"empty run", func(tr *Trajectory) { tr.Run = "" }, "empty run name"},
		{"run with a dot", func(tr *Trajectory) { tr.Run = "a.b" }, `run name "a.b": byte 1`},
		{"no worker", func(tr *Trajectory) { tr.Worker = "" }, "worker name of 0 bytes"},
		{"no prompt id", func(tr *Trajectory) { tr.PromptID = "" }, "no prompt id"},
		{"negative seq", func(tr *Trajectory) { tr.Seq = -1 }, "seq -1 is negative"},
		{"id of another sample", func(tr *Trajectory) { tr.Seq = 8 }, "is not the id of run ppo-1, worker worker-a, prompt p1, seq 8"},
		{"negative policy version", func(tr *Trajectory) { tr.PolicyVersion = -2 }, "policy version -2"},
		{"negative temperature", func(tr *Trajectory) { tr.Temperature = -1 }, "temperature -1"},
		{"NaN temperature", func(tr *Trajectory) { tr.Temperature = math.NaN() }, "temperature NaN"},
		{"top-p 0", func(tr *Trajectory) { tr.TopP = 0 }, "top-p 0"},
		{"top-p above 1", func(tr *Trajectory) { tr.TopP = 1.5 }, "top-p 1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := validTrajectory()
			tt.change(&tr)
			if tt.name != "id of another sample" && tt.name != "negative seq" {
				tr.TrajectoryID = TrajectoryID(tr.Run, tr.Worker, tr.PromptID, tr.Seq)
			}
			err := tr.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTrajectoryIDAndRunNames(t *testing.T) {
	id := TrajectoryID("run", "w", "p", 1)
	if len(id) != 32 || id != TrajectoryID("run", "w", "p", 1) {
		t.Fatalf("id %q not deterministic", id)
	}
	for name, other := range map[string]string{
		"run": TrajectoryID("run2", "w", "p", 1), "worker": TrajectoryID("run", "w2", "p", 1),
		"prompt": TrajectoryID("run", "w", "p2", 1), "seq": TrajectoryID("run", "w", "p", 2),
		"boundaries": TrajectoryID("ru", "nw", "p", 1),
	} {
		if other == id {
			t.Fatalf("changing the %s keeps the id", name)
		}
	}
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"ppo-1", true}, {"A_b-9", true}, {"7", true}, {strings.Repeat("r", 64), true},
		{"", false}, {"-x", false}, {"_x", false}, {"a.b", false}, {"a b", false}, {"a*", false}, {"a>", false},
		{"é", false}, {strings.Repeat("r", 65), false},
	} {
		if err := CheckRunName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckRunName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestTrajectoryRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codec := TrajectoryCodec.WithAllocator(mem)
	second := validTrajectory()
	second.Seq, second.PromptTokens, second.Response = 8, nil, "Other."
	second.TrajectoryID = TrajectoryID(second.Run, second.Worker, second.PromptID, second.Seq)
	rows := []Trajectory{validTrajectory(), second, {TrajectoryID: "empty"}}
	data, err := codec.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rows)
	}
	if _, err := PairCodec.Decode(data); err == nil {
		t.Fatal("a trajectory batch must not decode as pairs")
	}
	if _, err := TrajectoryCodec.Decode(data[:len(data)-9]); err == nil {
		t.Fatal("a truncated batch must fail")
	}
}

// FuzzDecodeTrajectories: any bytes decode to trajectories or fail with an error naming the
// schema; never a panic. What decodes validates without a panic and survives a round trip.
func FuzzDecodeTrajectories(f *testing.F) {
	data, _ := TrajectoryCodec.Encode([]Trajectory{validTrajectory()})
	f.Add(data)
	one, _ := TrajectoryCodec.Encode([]Trajectory{{TrajectoryID: "x", BehaviourLogProbs: []float32{-1}}})
	f.Add(one)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) { decodeGarbage(t, TrajectoryCodec, b, (*Trajectory).Validate) })
}

// decodeGarbage decodes any bytes with codec: an error must name the schema; decoded rows must
// validate without a panic (garbage may be invalid), re-encode and decode to as many rows.
func decodeGarbage[T any](t *testing.T, codec *Codec[T], b []byte, validate func(*T) error) {
	rows, err := codec.Decode(b)
	if err != nil {
		if !strings.Contains(err.Error(), codec.Version) {
			t.Fatalf("the error does not name the schema: %v", err)
		}
		return
	}
	for i := range rows {
		_ = validate(&rows[i])
	}
	again, err := codec.Encode(rows)
	if err != nil {
		t.Fatalf("re-encoding decoded rows: %v", err)
	}
	if back, err := codec.Decode(again); err != nil || len(back) != len(rows) {
		t.Fatalf("decoding re-encoded rows: %d of %d, %v", len(back), len(rows), err)
	}
}
