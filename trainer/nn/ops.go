package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernelOp adapts a float32 kernel to gorgonia's Op, UsePreallocDoer and SDOp interfaces.
// Every operation here is one kernelOp with its own shape rule, kernel and gradient.
type kernelOp struct {
	name    string
	params  string
	inDims  []int
	outDims int
	shape   func(in []tensor.Shape) tensor.Shape
	run     func(out []float32, in [][]float32, shapes []tensor.Shape)
	grad    func(in G.Nodes, out, gy *G.Node) (G.Nodes, error)
	wrt     []bool
}

func (op *kernelOp) Arity() int { return len(op.inDims) }

func (op *kernelOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(op.inDims)+1)
	for _, d := range op.inDims {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	ts = append(ts, G.TensorType{Dims: op.outDims, Of: a})
	return hm.NewFnType(ts...)
}

func (op *kernelOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := G.DimSizersToShapes(in)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", op.name, err)
	}
	return op.shape(shapes), nil
}

func (op *kernelOp) inputs(vals []G.Value) ([][]float32, []tensor.Shape, error) {
	if len(vals) != len(op.inDims) {
		return nil, nil, fmt.Errorf("nn: %s takes %d inputs, got %d", op.name, len(op.inDims), len(vals))
	}
	data := make([][]float32, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok || t.Dtype() != tensor.Float32 {
			return nil, nil, fmt.Errorf("nn: %s input %d: want a float32 tensor, got %T", op.name, i, v)
		}
		data[i], shapes[i] = t.Float32s(), t.Shape()
	}
	return data, shapes, nil
}

func (op *kernelOp) Do(vals ...G.Value) (G.Value, error) {
	_, shapes, err := op.inputs(vals)
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.shape(shapes)...))
	return op.UsePreallocDo(out, vals...)
}

func (op *kernelOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	data, shapes, err := op.inputs(vals)
	if err != nil {
		return nil, err
	}
	out, ok := prealloc.(*tensor.Dense)
	want := op.shape(shapes)
	if !ok || !out.Shape().Eq(want) {
		out = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(want...))
	}
	op.run(out.Float32s(), data, shapes)
	return out, nil
}

func (op *kernelOp) ReturnsPtr() bool      { return false }
func (op *kernelOp) CallsExtern() bool     { return false }
func (op *kernelOp) OverwritesInput() int  { return -1 }
func (op *kernelOp) String() string        { return op.name + "{" + op.params + "}" }
func (op *kernelOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s{%s}%v", op.name, op.params, op.inDims) }
func (op *kernelOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *kernelOp) DiffWRT(n int) []bool {
	if op.wrt == nil {
		return make([]bool, n)
	}
	return op.wrt
}

func (op *kernelOp) SymDiff(in G.Nodes, out, gy *G.Node) (G.Nodes, error) {
	if op.grad == nil {
		return nil, fmt.Errorf("nn: %s has no gradient", op.name)
	}
	return op.grad(in, out, gy)
}

func same(in []tensor.Shape) tensor.Shape { return in[0].Clone() }

func cols(s tensor.Shape) int { return s[len(s)-1] }

// LayerNormNode normalises each row of x (rows × d) and applies gain and bias (d).
func LayerNormNode(x, gain, bias *G.Node) (*G.Node, error) {
	op := &kernelOp{
		name: "LayerNorm", inDims: []int{2, 1, 1}, outDims: 2, shape: same, wrt: []bool{true, true, true},
		run: func(out []float32, in [][]float32, s []tensor.Shape) {
			LayerNorm(out, in[0], in[1], in[2], cols(s[0]))
		},
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dx, err := G.ApplyOp(&kernelOp{
				name: "LayerNormGradInput", inDims: []int{2, 1, 2}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, s []tensor.Shape) {
					LayerNormGradInput(out, in[0], in[1], in[2], cols(s[0]))
				},
			}, in[0], in[1], gy)
			if err != nil {
				return nil, err
			}
			dgain, err := G.ApplyOp(&kernelOp{
				name: "LayerNormGradGain", inDims: []int{2, 2}, outDims: 1,
				shape: func(s []tensor.Shape) tensor.Shape { return tensor.Shape{cols(s[0])} },
				run: func(out []float32, in [][]float32, s []tensor.Shape) {
					LayerNormGradGain(out, in[0], in[1], cols(s[0]))
				},
			}, in[0], gy)
			if err != nil {
				return nil, err
			}
			dbias, err := sumTiledNode(gy, 1, 1)
			if err != nil {
				return nil, err
			}
			return G.Nodes{dx, dgain, dbias}, nil
		},
	}
	return G.ApplyOp(op, x, gain, bias)
}

// GeluNode applies GELU (tanh approximation) elementwise to a matrix.
func GeluNode(x *G.Node) (*G.Node, error) {
	op := &kernelOp{
		name: "Gelu", inDims: []int{2}, outDims: 2, shape: same, wrt: []bool{true},
		run: func(out []float32, in [][]float32, _ []tensor.Shape) { Gelu(out, in[0]) },
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dx, err := G.ApplyOp(&kernelOp{
				name: "GeluGrad", inDims: []int{2, 2}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, _ []tensor.Shape) { GeluGrad(out, in[0], in[1]) },
			}, in[0], gy)
			return G.Nodes{dx}, err
		},
	}
	return G.ApplyOp(op, x)
}

// AddTiledNode adds to each row r of x (rows × d) the row r mod period of p: a bias when p is
// a vector (period 1), position embeddings when p is a matrix of at least period rows.
func AddTiledNode(x, p *G.Node, period int) (*G.Node, error) {
	pDims := p.Dims()
	op := &kernelOp{
		name: "AddTiled", params: fmt.Sprint(period), inDims: []int{2, pDims}, outDims: 2, shape: same,
		wrt: []bool{true, true},
		run: func(out []float32, in [][]float32, s []tensor.Shape) {
			AddTiled(out, in[0], in[1], cols(s[0]), period)
		},
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dp, err := sumTiledNode(gy, period, pDims, in[1].Shape()...)
			return G.Nodes{gy, dp}, err
		},
	}
	return G.ApplyOp(op, x, p)
}

// sumTiledNode sums the rows of g by their index mod period into a tensor of the given shape
// (a vector of g's width when dims is 1).
func sumTiledNode(g *G.Node, period, dims int, shape ...int) (*G.Node, error) {
	return G.ApplyOp(&kernelOp{
		name: "SumTiled", params: fmt.Sprint(period, shape), inDims: []int{2}, outDims: dims,
		shape: func(s []tensor.Shape) tensor.Shape {
			if dims == 1 {
				return tensor.Shape{cols(s[0])}
			}
			return tensor.Shape(shape).Clone()
		},
		run: func(out []float32, in [][]float32, s []tensor.Shape) { SumTiled(out, in[0], cols(s[0]), period) },
	}, g)
}

// AttentionNode is causal multi-head self-attention over packed q, k, v rows (Seqs*T × 3D),
// giving Seqs*T × D.
func AttentionNode(qkv *G.Node, s AttentionShape) (*G.Node, error) {
	op := &kernelOp{
		name: "Attention", params: fmt.Sprint(s), inDims: []int{2}, outDims: 2, wrt: []bool{true},
		shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{s.Seqs * s.T, s.D} },
		run:   func(out []float32, in [][]float32, _ []tensor.Shape) { Attention(out, in[0], s) },
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dqkv, err := G.ApplyOp(&kernelOp{
				name: "AttentionGrad", params: fmt.Sprint(s), inDims: []int{2, 2}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, _ []tensor.Shape) { AttentionGrad(out, in[0], in[1], s) },
			}, in[0], gy)
			return G.Nodes{dqkv}, err
		},
	}
	return G.ApplyOp(op, qkv)
}
