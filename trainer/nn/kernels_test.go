package nn

import (
	"math"
	"testing"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

// The GELU kernels agree with the tanh formula in float64 and with its derivative.
func TestGeluMatchesTanhFormula(t *testing.T) {
	for x := -12.0; x <= 12; x += 0.01 {
		u := geluK * (x + 0.044715*x*x*x)
		want := 0.5 * x * (1 + math.Tanh(u))
		th := math.Tanh(u)
		wantGrad := 0.5*(1+th) + 0.5*x*(1-th*th)*geluK*(1+3*0.044715*x*x)
		y, dx := make([]float32, 1), make([]float32, 1)
		Gelu(y, []float32{float32(x)})
		GeluGrad(dx, []float32{float32(x)}, []float32{1})
		if math.Abs(float64(y[0])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("gelu(%v) = %v, want %v", x, y[0], want)
		}
		if math.Abs(float64(dx[0])-wantGrad) > 1e-5*(1+math.Abs(wantGrad)) {
			t.Fatalf("gelu'(%v) = %v, want %v", x, dx[0], wantGrad)
		}
	}
}

func TestExpfAccuracy(t *testing.T) {
	for x := -87.0; x < 88; x += 0.037 { // normal float32 results; denormals are approximate
		got, want := float64(vec.Expf(float32(x))), math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("vec.Expf(%v) = %v, want %v", x, got, want)
		}
	}
}
