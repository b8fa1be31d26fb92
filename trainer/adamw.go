package trainer

import (
	"math"
)

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW,
// plus optional clipping of the global gradient norm.
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	ClipNorm                           float64
	Step                               int
	m, v                               map[*Param][]float32
}

// NewAdamW has torch's defaults (betas 0.9, 0.999, eps 1e-8, weight decay 0.01).
func NewAdamW(lr float64) *AdamW {
	return &AdamW{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
		m: map[*Param][]float32{}, v: map[*Param][]float32{}}
}

// Update applies one step given each parameter's gradient and returns the gradient norm
// before clipping. A non-finite norm changes nothing: no weight, moment or step count.
func (o *AdamW) Update(params []*Param, grads [][]float32) float64 {
	var sq float64
	for _, g := range grads {
		for _, x := range g {
			sq += float64(x) * float64(x)
		}
	}
	norm := math.Sqrt(sq)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	scale := float32(1)
	if o.ClipNorm > 0 && norm > o.ClipNorm {
		scale = float32(o.ClipNorm / norm)
	}
	o.Step++
	c1 := 1 - math.Pow(o.Beta1, float64(o.Step))
	c2 := 1 - math.Pow(o.Beta2, float64(o.Step))
	lr := float32(o.LR / c1)
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	invC2, eps := float32(1/c2), float32(o.Eps)
	for k, p := range params {
		g := grads[k]
		if g == nil {
			continue
		}
		m, v := o.m[p], o.v[p]
		if m == nil {
			m, v = make([]float32, len(p.Data)), make([]float32, len(p.Data))
			o.m[p], o.v[p] = m, v
		}
		decay := float32(1)
		if p.Decay {
			decay = float32(1 - o.LR*o.WeightDecay)
		}
		w := p.Data
		for i := range w {
			gi := g[i] * scale
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			w[i] = w[i]*decay - lr*m[i]/(float32(math.Sqrt(float64(v[i]*invC2)))+eps)
		}
	}
	return norm
}
