package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// RegistryStore keeps checkpoints in the model registry (Object Store "models", KV
// "registry"): each checkpoint is a new version of the model's name.
type RegistryStore struct {
	Registry *registry.Registry
}

func (s *RegistryStore) Save(ctx context.Context, ck *Checkpoint, st RunState, metrics map[string]float64) (int, error) {
	config, err := json.Marshal(ck.Model.Config)
	if err != nil {
		return 0, err
	}
	e := registry.Entry{
		Name: st.Name, Kind: ck.Model.Config.Kind, Config: config, Tokenizer: ck.Tok.Version(),
		Parent: st.Init, Metrics: metrics,
		Labels: map[string]string{"run": st.Run, "stage": st.Stage, "objective": string(st.Objective),
			"step": strconv.Itoa(st.Step), "finished": strconv.FormatBool(st.Finished)},
	}
	pr, pw := io.Pipe()
	go func() { _, err := ck.WriteTo(pw); pw.CloseWithError(err) }()
	out, err := s.Registry.Publish(ctx, e, pr)
	pr.CloseWithError(err)
	if err != nil {
		return 0, fmt.Errorf("trainer: saving %s: %w", st.Name, err)
	}
	return out.Version, nil
}

func (s *RegistryStore) Last(ctx context.Context, name string) (*Checkpoint, error) {
	ck, _, err := LoadCheckpoint(ctx, s.Registry, name)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	return ck, err
}

// LoadCheckpoint fetches and verifies a checkpoint by reference ("pm-pmp", "pm-pmp@3").
func LoadCheckpoint(ctx context.Context, r *registry.Registry, ref string) (*Checkpoint, registry.Entry, error) {
	e, rc, err := r.Open(ctx, ref)
	if err != nil {
		return nil, e, err
	}
	defer rc.Close()
	ck, err := ReadCheckpoint(rc)
	if err != nil {
		return nil, e, fmt.Errorf("%s: %w", e.Ref(), err)
	}
	// The reader verifies the sha256 once it reaches the end.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, e, err
	}
	if err := rc.Close(); err != nil {
		return nil, e, err
	}
	return ck, e, nil
}

// Tokenizer kinds in the registry: a tokenizer is stored as its own versioned entry too.
const KindTokenizer = "tokenizer"

// SaveTokenizer publishes a tokenizer under name.
func SaveTokenizer(ctx context.Context, r *registry.Registry, name string, tok *tokenizer.Tokenizer, labels map[string]string) (registry.Entry, error) {
	blob, err := tok.MarshalBinary()
	if err != nil {
		return registry.Entry{}, err
	}
	cfg, _ := json.Marshal(map[string]int{"vocab": tok.Vocab()})
	return r.Publish(ctx, registry.Entry{Name: name, Kind: KindTokenizer, Config: cfg, Tokenizer: tok.Version(), Labels: labels}, bytes.NewReader(blob))
}

// LoadTokenizer fetches a tokenizer entry, or the tokenizer inside a model checkpoint.
func LoadTokenizer(ctx context.Context, r *registry.Registry, ref string) (*tokenizer.Tokenizer, error) {
	e, err := r.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if e.Kind != KindTokenizer {
		ck, _, err := LoadCheckpoint(ctx, r, ref)
		if err != nil {
			return nil, err
		}
		return ck.Tok, nil
	}
	var buf bytes.Buffer
	if _, err := r.Fetch(ctx, ref, &buf); err != nil {
		return nil, err
	}
	tok := new(tokenizer.Tokenizer)
	if err := tok.UnmarshalBinary(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("trainer: %s: %w", e.Ref(), err)
	}
	return tok, nil
}
