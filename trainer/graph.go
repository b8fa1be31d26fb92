package trainer

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/prefstream/prefstream/trainer/nn"
)

// graph is one gorgonia training graph for a fixed batch shape: seqs sequences of t tokens.
// Built once, it is run per step with new token ids, read positions and targets; its weights
// share memory with the model's Params, so the optimizer's updates are seen by the next run.
type graph struct {
	g          *G.ExprGraph
	vm         G.VM
	seqs, t    int
	ids, reads *G.Node
	cost       *G.Node
	rewards    *G.Node
	weights    map[*Param]*G.Node
	learnables G.Nodes

	prefs  *nn.PreferenceTargets
	tokens *nn.TokenTargets
	policy *nn.PolicyTargets
	value  *nn.ValueTargets
}

// headReward reads a scalar at one position per sequence (the end-of-context token) and
// trains it with preference losses; headLM trains next-token prediction at every position.
type head int

const (
	headReward head = iota
	headLM
	// headPPO trains a policy's LM head with the clipped PPO loss and its value head with the
	// clipped value loss, at every position.
	headPPO
)

func newGraph(m *Model, seqs, t int, h head) (*graph, error) {
	c := m.Config
	if t > c.Context {
		return nil, fmt.Errorf("trainer: sequence length %d exceeds the context %d", t, c.Context)
	}
	gr := &graph{g: G.NewGraph(), seqs: seqs, t: t, weights: map[*Param]*G.Node{},
		prefs: &nn.PreferenceTargets{}, tokens: &nn.TokenTargets{}, policy: &nn.PolicyTargets{}, value: &nn.ValueTargets{}}
	g := gr.g
	w := func(name string) *G.Node {
		p := m.Params.Get(name)
		if n, ok := gr.weights[p]; ok {
			return n
		}
		backing := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Data))
		n := G.NodeFromAny(g, backing, G.WithName(p.Name))
		gr.weights[p] = n
		gr.learnables = append(gr.learnables, n)
		return n
	}
	must := func(n *G.Node, err error) *G.Node {
		if err != nil {
			panic(err)
		}
		return n
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("trainer: building the graph: %v", r)
			}
		}()
		n := seqs * t
		gr.ids = G.NewVector(g, tensor.Int, G.WithShape(n), G.WithName("ids"))
		x := must(G.ByIndices(w("tok"), gr.ids, 0))
		x = must(nn.AddTiledNode(x, w("pos"), t))
		shape := nn.AttentionShape{Seqs: seqs, T: t, Heads: c.Heads, D: c.DModel}
		linear := func(x *G.Node, name string) *G.Node {
			return must(nn.LinearNode(x, w(name+".w"), w(name+".b")))
		}
		for l := range c.Layers {
			b := func(part string) string { return blockName(l, part) }
			h := must(nn.LayerNormNode(x, w(b("ln1.gain")), w(b("ln1.bias"))))
			a := must(nn.AttentionNode(linear(h, b("qkv")), shape))
			x = must(G.Add(x, linear(a, b("proj"))))
			h = must(nn.LayerNormNode(x, w(b("ln2.gain")), w(b("ln2.bias"))))
			x = must(G.Add(x, linear(must(nn.GeluNode(linear(h, b("fc1")))), b("fc2"))))
		}
		var loss *G.Node
		switch h {
		case headReward:
			gr.reads = G.NewVector(g, tensor.Int, G.WithShape(seqs), G.WithName("reads"))
			last := must(G.ByIndices(x, gr.reads, 0))
			last = must(nn.LayerNormNode(last, w("lnf.gain"), w("lnf.bias")))
			gr.rewards = linear(last, "reward")
			loss = must(nn.PreferenceLossNode(gr.rewards, gr.prefs))
		case headLM:
			hf := must(nn.LayerNormNode(x, w("lnf.gain"), w("lnf.bias")))
			loss = must(nn.CrossEntropyNode(linear(hf, "lm"), gr.tokens))
		case headPPO:
			hf := must(nn.LayerNormNode(x, w("lnf.gain"), w("lnf.bias")))
			pl := must(nn.PolicyLossNode(linear(hf, "lm"), gr.policy))
			vl := must(nn.ValueLossNode(linear(hf, "value"), gr.value))
			loss = must(G.Add(pl, vl))
		}
		gr.cost = must(G.Sum(loss))
	}()
	if err != nil {
		return nil, err
	}
	if _, err := G.Grad(gr.cost, gr.learnables...); err != nil {
		return nil, fmt.Errorf("trainer: differentiating the graph: %w", err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(gr.learnables...))
	return gr, nil
}

// run does one forward and backward pass over ids (seqs × t, row-major) and returns the loss;
// reads gives, for the reward head, the position read in each sequence.
func (gr *graph) run(ids []int, reads []int) (float64, error) {
	if err := G.Let(gr.ids, tensor.New(tensor.WithShape(len(ids)), tensor.WithBacking(ids))); err != nil {
		return 0, fmt.Errorf("trainer: %w", err)
	}
	if gr.reads != nil {
		abs := make([]int, len(reads))
		for i, r := range reads {
			abs[i] = i*gr.t + r
		}
		if err := G.Let(gr.reads, tensor.New(tensor.WithShape(len(abs)), tensor.WithBacking(abs))); err != nil {
			return 0, fmt.Errorf("trainer: %w", err)
		}
	}
	// gorgonia adds each run's gradients to those bound to the weights: start from zero.
	for _, n := range gr.learnables {
		if g, err := n.Grad(); err == nil {
			if d, ok := g.(*tensor.Dense); ok {
				d.Zero()
			}
		}
	}
	defer gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("trainer: step: %w", err)
	}
	switch v := gr.cost.Value().(type) {
	case *G.F32:
		return float64(*v), nil
	case *tensor.Dense:
		return float64(v.Float32s()[0]), nil
	default:
		return 0, fmt.Errorf("trainer: unexpected loss value %T", v)
	}
}

// grad returns the gradient of the last run with respect to a parameter.
func (gr *graph) grad(p *Param) ([]float32, error) {
	n := gr.weights[p]
	if n == nil {
		return nil, nil
	}
	g, err := n.Grad()
	if err != nil {
		return nil, fmt.Errorf("trainer: gradient of %s: %w", p.Name, err)
	}
	d, ok := g.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("trainer: gradient of %s is %T", p.Name, g)
	}
	return d.Float32s(), nil
}

// lastRewards returns the rewards computed in the last run (reward head only).
func (gr *graph) lastRewards() []float32 {
	if gr.rewards == nil {
		return nil
	}
	return gr.rewards.Value().(*tensor.Dense).Float32s()
}
