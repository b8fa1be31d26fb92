package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Param is one named weight tensor, row-major float32.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	// Decay says whether AdamW's weight decay applies (matrices yes; biases, gains and
	// embeddings of positions no).
	Decay bool
}

// Params are a model's weights in a fixed order, addressed by name.
type Params struct {
	List   []*Param
	byName map[string]*Param
}

func (ps *Params) add(name string, decay bool, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p := &Param{Name: name, Shape: shape, Data: make([]float32, n), Decay: decay}
	ps.List = append(ps.List, p)
	if ps.byName == nil {
		ps.byName = map[string]*Param{}
	}
	ps.byName[name] = p
}

// Get returns the named parameter; a missing name is a programming error.
func (ps *Params) Get(name string) *Param {
	p, ok := ps.byName[name]
	if !ok {
		panic("trainer: no parameter " + name)
	}
	return p
}

// Count is the number of scalar weights.
func (ps *Params) Count() int {
	n := 0
	for _, p := range ps.List {
		n += len(p.Data)
	}
	return n
}

func blockName(layer int, part string) string { return fmt.Sprintf("block%d.%s", layer, part) }

// newParams lays out the weights of a config: GPT-2 style initialisation (normal 0.02,
// residual projections scaled by 1/sqrt(2 layers), zero biases, unit gains), seeded.
func newParams(c Config, seed uint64) *Params {
	ps := layoutParams(c)
	initParams(ps, c, seed)
	return ps
}

// layoutParams allocates the weights of a config, all zero (a checkpoint reader fills them).
func layoutParams(c Config) *Params {
	ps := &Params{}
	d, f := c.DModel, c.DFF
	ps.add("tok", true, c.Vocab, d)
	ps.add("pos", false, c.Context, d)
	for l := range c.Layers {
		ps.add(blockName(l, "ln1.gain"), false, d)
		ps.add(blockName(l, "ln1.bias"), false, d)
		ps.add(blockName(l, "qkv.w"), true, d, 3*d)
		ps.add(blockName(l, "qkv.b"), false, 3*d)
		ps.add(blockName(l, "proj.w"), true, d, d)
		ps.add(blockName(l, "proj.b"), false, d)
		ps.add(blockName(l, "ln2.gain"), false, d)
		ps.add(blockName(l, "ln2.bias"), false, d)
		ps.add(blockName(l, "fc1.w"), true, d, f)
		ps.add(blockName(l, "fc1.b"), false, f)
		ps.add(blockName(l, "fc2.w"), true, f, d)
		ps.add(blockName(l, "fc2.b"), false, d)
	}
	ps.add("lnf.gain", false, d)
	ps.add("lnf.bias", false, d)
	switch c.Kind {
	case KindPM:
		ps.add("reward.w", true, d, 1)
		ps.add("reward.b", false, 1)
	case KindPolicy:
		ps.add("lm.w", true, d, c.Vocab)
		ps.add("lm.b", false, c.Vocab)
		ps.add("value.w", true, d, 1)
		ps.add("value.b", false, 1)
	}
	return ps
}

func initParams(ps *Params, c Config, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	residualScale := 1 / math.Sqrt(float64(2*c.Layers))
	for _, p := range ps.List {
		switch {
		case strings.HasSuffix(p.Name, ".gain"):
			for i := range p.Data {
				p.Data[i] = 1
			}
		case len(p.Shape) == 2:
			std := 0.02
			if strings.HasSuffix(p.Name, "proj.w") || strings.HasSuffix(p.Name, "fc2.w") {
				std *= residualScale
			}
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * std)
			}
		}
	}
}
