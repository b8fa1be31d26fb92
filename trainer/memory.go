package trainer

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/prefstream/prefstream/schemas"
)

// SliceSource is a Source over pairs held in memory (small fine-tuning sets, tests).
type SliceSource struct {
	Pairs []schemas.Pair
	Name  string
}

func (s *SliceSource) String() string { return s.Name }

func (s *SliceSource) Each(ctx context.Context, from Position, fn func(schemas.Pair, Position) error) error {
	for i := int(from.Seq); i < len(s.Pairs); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(s.Pairs[i], Position{Pass: from.Pass, Seq: uint64(i + 1)}); err != nil {
			return err
		}
	}
	return nil
}

// MemoryStore keeps checkpoints in memory, serialised as they would be in the registry.
type MemoryStore struct {
	blobs    map[string][][]byte
	Versions map[string][]map[string]float64
}

func (s *MemoryStore) Save(_ context.Context, ck *Checkpoint, st RunState, metrics map[string]float64) (int, error) {
	if s.blobs == nil {
		s.blobs, s.Versions = map[string][][]byte{}, map[string][]map[string]float64{}
	}
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		return 0, err
	}
	s.blobs[st.Name] = append(s.blobs[st.Name], buf.Bytes())
	s.Versions[st.Name] = append(s.Versions[st.Name], metrics)
	return len(s.blobs[st.Name]), nil
}

func (s *MemoryStore) Last(_ context.Context, name string) (*Checkpoint, error) {
	if len(s.blobs[name]) == 0 {
		return nil, nil
	}
	return ReadCheckpoint(bytes.NewReader(s.blobs[name][len(s.blobs[name])-1]))
}

// LastState is the run state of the newest checkpoint of name.
func (s *MemoryStore) LastState(name string) (RunState, error) {
	var st RunState
	ck, err := s.Last(context.Background(), name)
	if err != nil || ck == nil {
		return st, err
	}
	return st, json.Unmarshal(ck.State, &st)
}
