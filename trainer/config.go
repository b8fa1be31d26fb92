package trainer

import (
	"fmt"
	"sort"
	"strings"
)

// Config is the architecture of a decoder-only transformer: token and learned position
// embeddings, pre-LN blocks of causal multi-head attention and a GELU (tanh) MLP, a final layer
// norm, and heads: a scalar reward read at the end-of-context token for a preference model; an
// LM head and a value head for a policy.
type Config struct {
	Preset  string `json:"preset"`
	Vocab   int    `json:"vocab"`
	Context int    `json:"context"`
	DModel  int    `json:"d_model"`
	Layers  int    `json:"layers"`
	Heads   int    `json:"heads"`
	DFF     int    `json:"d_ff"`
	// Kind is "pm" (reward head) or "policy" (LM and value heads).
	Kind string `json:"kind"`
	// Scoring is how the model scores a response (ScoringPlain, ScoringLabelContrast,
	// ScoringLogProb); set by the objective it was last trained with.
	Scoring string `json:"scoring,omitempty"`
}

// Model kinds.
const (
	KindPM     = "pm"
	KindPolicy = "policy"
)

// Presets from smallest to largest. "tiny" is exactly the architecture of the PyTorch
// reference benchmark (shared/bench/pm_reference.py).
var presets = map[string]Config{
	"nano":  {Preset: "nano", Vocab: 4096, Context: 64, DModel: 64, Layers: 2, Heads: 2, DFF: 256},
	"tiny":  {Preset: "tiny", Vocab: 4096, Context: 128, DModel: 128, Layers: 2, Heads: 4, DFF: 512},
	"small": {Preset: "small", Vocab: 4096, Context: 256, DModel: 256, Layers: 4, Heads: 4, DFF: 1024},
	"base":  {Preset: "base", Vocab: 4096, Context: 512, DModel: 512, Layers: 8, Heads: 8, DFF: 2048},
}

// PresetNames lists the presets, smallest first.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return presets[names[i]].DModel < presets[names[j]].DModel })
	return names
}

// Preset returns the named architecture for a model kind with the given vocabulary size
// (0 keeps the preset's).
func Preset(name, kind string, vocab int) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("trainer: unknown preset %q (have %s)", name, strings.Join(PresetNames(), ", "))
	}
	if vocab > 0 {
		c.Vocab = vocab
	}
	c.Kind = kind
	return c, c.Validate()
}

// Validate checks that the dimensions fit together.
func (c Config) Validate() error {
	switch {
	case c.Vocab < 260 || c.Context < 4 || c.DModel < 1 || c.Layers < 1 || c.Heads < 1 || c.DFF < 1:
		return fmt.Errorf("trainer: config %+v: every size must be positive, vocab at least 260, context at least 4", c)
	case c.DModel%c.Heads != 0:
		return fmt.Errorf("trainer: config: d_model %d is not divisible by %d heads", c.DModel, c.Heads)
	case c.Kind != KindPM && c.Kind != KindPolicy:
		return fmt.Errorf("trainer: config: kind %q is neither %q nor %q", c.Kind, KindPM, KindPolicy)
	}
	return nil
}
