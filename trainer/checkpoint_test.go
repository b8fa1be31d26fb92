package trainer

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestCheckpointRoundTripIsBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pairs := plantedPairs(rng, 64)
	tok := trainTokenizer(t, pairs, 300)
	c := Config{Vocab: tok.Vocab(), Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: KindPM}
	m, _ := New(c, 5)
	st, err := NewStepper(m, tok, Ranked, 4, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := st.Step(pairs[4*i : 4*i+4]); err != nil {
			t.Fatal(err)
		}
	}
	ck := &Checkpoint{Model: m, Tok: tok, Opt: st.Opt, State: json.RawMessage(`{"step":3}`)}
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	blob := slices.Clone(buf.Bytes())
	got, err := ReadCheckpoint(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	if got.Model.Config != m.Config || got.Tok.Version() != tok.Version() || string(got.State) != `{"step":3}` {
		t.Fatalf("header differs: %+v %s", got.Model.Config, got.State)
	}
	for i, p := range m.Params.List {
		q := got.Model.Params.List[i]
		if !slices.Equal(p.Data, q.Data) || !slices.Equal(st.Opt.m[p], got.Opt.m[q]) || !slices.Equal(st.Opt.v[p], got.Opt.v[q]) {
			t.Fatalf("%s differs after the round trip", p.Name)
		}
	}
	if got.Opt.Step != 3 {
		t.Fatalf("optimizer step %d, want 3", got.Opt.Step)
	}
	// Writing the read checkpoint again gives the same bytes.
	var again bytes.Buffer
	if _, err := got.WriteTo(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), blob) {
		t.Fatal("rewritten checkpoint differs")
	}
	// Resuming from the copy and from the original gives identical next steps.
	st2, _ := NewStepper(got.Model, got.Tok, Ranked, 4, 1e-3)
	st2.Opt = got.Opt
	l1, _ := st.Step(pairs[12:16])
	l2, _ := st2.Step(pairs[12:16])
	if l1 != l2 || !slices.Equal(m.Params.List[0].Data, got.Model.Params.List[0].Data) {
		t.Fatalf("resumed step differs: loss %v vs %v", l1, l2)
	}

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "format line"},
		{"not a checkpoint", []byte("hello world, this is not it at all"), "not a"},
		{"truncated header", blob[:30], "header"},
		{"truncated weights", blob[:len(blob)/2], "truncated"},
		{"trailing bytes", append(slices.Clone(blob), 1), "after the end"},
	} {
		if _, err := ReadCheckpoint(bytes.NewReader(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestTokenizerMismatchIsRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pairs := plantedPairs(rng, 64)
	tok := trainTokenizer(t, pairs, 300)
	other := trainTokenizer(t, plantedPairs(rng, 32)[:8], 300)
	m, _ := New(Config{Vocab: tok.Vocab(), Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: KindPM}, 1)
	m.Tokenizer = tok.Version()
	if _, err := NewScorer(m, other); err == nil || !strings.Contains(err.Error(), "tokenizer") {
		t.Fatalf("a different tokenizer was accepted: %v", err)
	}
}
