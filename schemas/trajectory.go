package schemas

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
)

// TrajectorySchema is the version of the Trajectory record.
const TrajectorySchema = "trajectory/v1"

// LogProbEpsilon is how far above 0 a log-probability may be: float32 log-softmax of an almost
// certain token can round to a little above 0; anything more is a bug upstream.
const LogProbEpsilon = 1e-4

// MaxRunNameBytes is the longest run name; MaxWorkerBytes the longest worker name.
const (
	MaxRunNameBytes = 64
	MaxWorkerBytes  = 128
)

// Trajectory is one sampled response of a rollout worker: the tokens, the sampling policy's and
// the reference model's log-probabilities of each response token, and the preference model's
// score. The trainer computes the per-token KL penalty from the two log-probability columns.
type Trajectory struct {
	// TrajectoryID is TrajectoryID(Run, Worker, PromptID, Seq): a worker re-sending its n-th
	// sample after a restart sends the same id.
	TrajectoryID string `parquet:"trajectory_id"`
	// Run names the RLHF run (one subject token, CheckRunName); Worker the rollout worker.
	Run    string `parquet:"run,dict"`
	Worker string `parquet:"worker,dict"`
	// Seq is the worker's sequence number of this sample, from 0.
	Seq int64 `parquet:"seq"`
	// PolicyVersion is the registry version of the policy that sampled the response (the
	// trainer measures staleness against it).
	PolicyVersion int64 `parquet:"policy_version"`
	// PM and Reference are the preference and reference models used, as "name@version".
	PM        string `parquet:"pm,dict"`
	Reference string `parquet:"reference,dict"`
	// Tokenizer is the version of the tokenizer that made the tokens.
	Tokenizer string `parquet:"tokenizer,dict"`
	PromptID  string `parquet:"prompt_id"`
	// Prompt and Response are the texts (the response decoded from ResponseTokens), for people
	// reading the lake.
	Prompt         string  `parquet:"prompt,dict"`
	Response       string  `parquet:"response"`
	PromptTokens   []int32 `parquet:"prompt_tokens,list"`
	ResponseTokens []int32 `parquet:"response_tokens,list"`
	// BehaviourLogProbs and ReferenceLogProbs hold, for each response token, its
	// log-probability under the sampling policy and under the reference model.
	BehaviourLogProbs []float32 `parquet:"behaviour_logprobs,list"`
	ReferenceLogProbs []float32 `parquet:"reference_logprobs,list"`
	// Reward is the preference model's score of the response.
	Reward float64 `parquet:"reward"`
	// Sampling settings and the seed of the sampler.
	Temperature float64 `parquet:"temperature"`
	TopP        float64 `parquet:"top_p"`
	Seed        int64   `parquet:"seed"`
	CreatedUnix int64   `parquet:"created_unix"`
}

// TrajectoryFreeText are the Parquet columns of a Trajectory that hold free text.
var TrajectoryFreeText = []string{"prompt", "response"}

// TrajectoryID hashes the run, the worker, the prompt and the worker's sequence number.
func TrajectoryID(run, worker, promptID string, seq int64) string {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{run, worker, promptID} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.LittleEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// CheckRunName accepts a run name usable as one subject token, a KV key and a lake
// partition: 1 to 64 letters, digits, '-' or '_', starting with a letter or digit.
func CheckRunName(name string) error {
	if name == "" {
		return errors.New("schemas: empty run name")
	}
	if len(name) > MaxRunNameBytes {
		return fmt.Errorf("schemas: run name of %d bytes, at most %d", len(name), MaxRunNameBytes)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letterOrDigit := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !letterOrDigit && (i == 0 || (c != '-' && c != '_')) {
			return fmt.Errorf("schemas: run name %q: byte %d (%q) is not a letter, digit, '-' or '_' (the first must be a letter or digit)", name, i, c)
		}
	}
	return nil
}

// Validate reports the first reason the trajectory cannot be trained on: a bad run name, no
// worker, an id that is not TrajectoryID of its fields, no prompt id, no response tokens, a
// negative token id, log-probability columns whose length differs from the response's, a NaN or
// infinite log-probability or reward, a log-probability above LogProbEpsilon, or sampling
// settings out of range.
func (t *Trajectory) Validate() error {
	if err := CheckRunName(t.Run); err != nil {
		return fmt.Errorf("schemas: trajectory run: %w", err)
	}
	switch {
	case t.Worker == "" || len(t.Worker) > MaxWorkerBytes:
		return fmt.Errorf("schemas: trajectory worker name of %d bytes: want 1 to %d", len(t.Worker), MaxWorkerBytes)
	case t.PromptID == "":
		return errors.New("schemas: trajectory has no prompt id")
	case t.Seq < 0:
		return fmt.Errorf("schemas: trajectory seq %d is negative", t.Seq)
	case t.TrajectoryID != TrajectoryID(t.Run, t.Worker, t.PromptID, t.Seq):
		return fmt.Errorf("schemas: trajectory id %q is not the id of run %s, worker %s, prompt %s, seq %d",
			t.TrajectoryID, t.Run, t.Worker, t.PromptID, t.Seq)
	case t.PolicyVersion < 0:
		return fmt.Errorf("schemas: policy version %d is negative", t.PolicyVersion)
	case len(t.ResponseTokens) == 0:
		return errors.New("schemas: trajectory has no response tokens")
	case len(t.BehaviourLogProbs) != len(t.ResponseTokens):
		return fmt.Errorf("schemas: %d behaviour log-probs for %d response tokens", len(t.BehaviourLogProbs), len(t.ResponseTokens))
	case len(t.ReferenceLogProbs) != len(t.ResponseTokens):
		return fmt.Errorf("schemas: %d reference log-probs for %d response tokens", len(t.ReferenceLogProbs), len(t.ResponseTokens))
	}
	if err := checkTokens("prompt", t.PromptTokens); err != nil {
		return err
	}
	if err := checkTokens("response", t.ResponseTokens); err != nil {
		return err
	}
	if err := checkLogProbs("behaviour", t.BehaviourLogProbs); err != nil {
		return err
	}
	if err := checkLogProbs("reference", t.ReferenceLogProbs); err != nil {
		return err
	}
	switch {
	case math.IsNaN(t.Reward) || math.IsInf(t.Reward, 0):
		return fmt.Errorf("schemas: reward is %v", t.Reward)
	case math.IsNaN(t.Temperature) || math.IsInf(t.Temperature, 0) || t.Temperature < 0:
		return fmt.Errorf("schemas: temperature %v: want a finite number >= 0", t.Temperature)
	case !(t.TopP > 0 && t.TopP <= 1):
		return fmt.Errorf("schemas: top-p %v: want 0 < top-p <= 1", t.TopP)
	}
	return nil
}

func checkTokens(which string, ids []int32) error {
	for i, id := range ids {
		if id < 0 {
			return fmt.Errorf("schemas: %s token %d has the negative id %d", which, i, id)
		}
	}
	return nil
}

func checkLogProbs(which string, lps []float32) error {
	for i, lp := range lps {
		v := float64(lp)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("schemas: %s log-prob of response token %d is %v", which, i, v)
		case v > LogProbEpsilon:
			return fmt.Errorf("schemas: %s log-prob of response token %d is %v > 0: not a log-probability", which, i, v)
		}
	}
	return nil
}

// Size is a cheap estimate of the record's encoded size in bytes.
func (t *Trajectory) Size() int {
	return 160 + len(t.TrajectoryID) + len(t.Run) + len(t.Worker) + len(t.PM) + len(t.Reference) + len(t.Tokenizer) +
		len(t.PromptID) + len(t.Prompt) + len(t.Response) +
		4*(len(t.PromptTokens)+len(t.ResponseTokens)+len(t.BehaviourLogProbs)+len(t.ReferenceLogProbs))
}

// TrajectoryCodec encodes and decodes Trajectories as Arrow IPC batches.
var TrajectoryCodec = NewCodec(TrajectorySchema,
	StringColumn("trajectory_id", func(t *Trajectory) *string { return &t.TrajectoryID }),
	StringColumn("run", func(t *Trajectory) *string { return &t.Run }),
	StringColumn("worker", func(t *Trajectory) *string { return &t.Worker }),
	Int64Column("seq", func(t *Trajectory) *int64 { return &t.Seq }),
	Int64Column("policy_version", func(t *Trajectory) *int64 { return &t.PolicyVersion }),
	StringColumn("pm", func(t *Trajectory) *string { return &t.PM }),
	StringColumn("reference", func(t *Trajectory) *string { return &t.Reference }),
	StringColumn("tokenizer", func(t *Trajectory) *string { return &t.Tokenizer }),
	StringColumn("prompt_id", func(t *Trajectory) *string { return &t.PromptID }),
	DictStringColumn("prompt", func(t *Trajectory) *string { return &t.Prompt }),
	StringColumn("response", func(t *Trajectory) *string { return &t.Response }),
	Int32ListColumn("prompt_tokens", func(t *Trajectory) *[]int32 { return &t.PromptTokens }),
	Int32ListColumn("response_tokens", func(t *Trajectory) *[]int32 { return &t.ResponseTokens }),
	Float32ListColumn("behaviour_logprobs", func(t *Trajectory) *[]float32 { return &t.BehaviourLogProbs }),
	Float32ListColumn("reference_logprobs", func(t *Trajectory) *[]float32 { return &t.ReferenceLogProbs }),
	Float64Column("reward", func(t *Trajectory) *float64 { return &t.Reward }),
	Float64Column("temperature", func(t *Trajectory) *float64 { return &t.Temperature }),
	Float64Column("top_p", func(t *Trajectory) *float64 { return &t.TopP }),
	Int64Column("seed", func(t *Trajectory) *int64 { return &t.Seed }),
	Int64Column("created_unix", func(t *Trajectory) *int64 { return &t.CreatedUnix }),
)
