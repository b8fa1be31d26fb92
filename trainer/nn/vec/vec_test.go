package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The FMA Sgemm gives gonum's results, to float32 rounding, for every shape, stride, alpha and
// beta, with columns and rows that are not multiples of the kernels' blocks; beta 0 never reads C.
func TestSgemmMatchesGonum(t *testing.T) {
	if !HasFMA {
		t.Skip("no AVX2/FMA kernels in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	type shape struct {
		m, n, k, pad int
		alpha, beta  float32
	}
	shapes := []shape{
		{1, 16, 1, 0, 1, 0}, {4, 16, 1, 0, 1, 0}, {8, 384, 128, 0, 1, 0}, {8, 4096, 128, 0, 1, 0},
		{3, 17, 5, 0, 1, 0}, {5, 31, 7, 3, 0.5, 0}, {7, 48, 64, 1, 1, 1}, {13, 40, 70, 2, -2, 0.25},
		{67, 33, 9, 0, 1, -0.5}, {130, 64, 512, 5, 1, 0}, {64, 128, 512, 1, 1, 0}, {17, 96, 33, 0, 1, 0.5}, {24, 64, 300, 3, 0.5, 2}, {4, 16, 0, 0, 1, 0.5}, {2, 8, 3, 0, 1, 0},
	}
	for range 40 {
		shapes = append(shapes, shape{1 + rng.IntN(70), 1 + rng.IntN(80), rng.IntN(90), rng.IntN(4), float32(rng.NormFloat64()), float32(rng.IntN(3)) * 0.5})
	}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	defer func() { useAVX512 = true }()
	for _, avx512 := range []bool{false, true} {
		if avx512 && !HasAVX512 {
			t.Log("no AVX-512 here: its kernel is not checked")
			continue
		}
		useAVX512 = avx512
		for _, s := range shapes {
			for _, tA := range trans {
				for _, tB := range trans {
					name := fmt.Sprintf("avx512=%v/%c%c/%dx%dx%d+%d/%g/%g", avx512, tA, tB, s.m, s.n, s.k, s.pad, s.alpha, s.beta)
					t.Run(name, func(t *testing.T) { checkSgemm(t, fill, tA, tB, s.m, s.n, s.k, s.pad, s.alpha, s.beta) })
				}
			}
		}
	}
}

// checkSgemm compares Implementation.Sgemm with gonum's on random operands stored with pad
// spare columns, C filled with NaN when beta is 0.
func checkSgemm(t *testing.T, fill func(int) []float32, tA, tB blas.Transpose, m, n, k, pad int, alpha, beta float32) {
	rowsA, colsA, rowsB, colsB := m, k, k, n
	if tA == blas.Trans {
		rowsA, colsA = k, m
	}
	if tB == blas.Trans {
		rowsB, colsB = n, k
	}
	lda, ldb, ldc := max(colsA, 1)+pad, max(colsB, 1)+pad, n+2*pad
	a, b := fill(max(rowsA, 1)*lda), fill(max(rowsB, 1)*ldb)
	c := fill(m * ldc)
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	want := append([]float32(nil), c...)
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	for i := range m {
		for j := range ldc {
			g, w := c[i*ldc+j], want[i*ldc+j]
			if j >= n {
				if !(g == w || (g != g && w != w)) {
					t.Fatalf("C[%d][%d] beyond the %d columns changed: %v, was %v", i, j, n, g, w)
				}
				continue
			}
			if tol := 1e-5 * float32(1+k) * (1 + abs32(alpha)); !(abs32(g-w) <= tol) {
				t.Fatalf("C[%d][%d] = %v, gonum %v", i, j, g, w)
			}
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// A short operand is refused as gonum refuses it.
func TestSgemmShortOperandPanics(t *testing.T) {
	if !HasFMA {
		t.Skip("no AVX2/FMA kernels in this build or on this CPU")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a short B did not panic")
		}
	}()
	a, b, c := make([]float32, 4*8), make([]float32, 8*16-1), make([]float32, 4*16)
	Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 4, 16, 8, 1, a, 8, b, 16, 0, c, 16)
}

// The decode-step products of the tiny policy (batch 8): FMA kernels beside gonum's Sgemm.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{8, 384, 128}, {8, 4096, 128}, {512, 384, 128}} {
		rng := rand.New(rand.NewPCG(3, 4))
		a, w, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
		for _, x := range [][]float32{a, w} {
			for i := range x {
				x[i] = rng.Float32() - 0.5 // gonum skips the zeros of A
			}
		}
		for _, name := range []string{"gonum", "avx2", "avx512"} {
			var impl blas.Float32 = Implementation{}
			if name == "gonum" {
				impl = gonum.Implementation{}
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, s.m, s.n, s.k), func(b *testing.B) {
				if name == "avx512" && !HasAVX512 {
					b.Skip("no AVX-512")
				}
				useAVX512 = name == "avx512"
				defer func() { useAVX512 = true }()
				for b.Loop() {
					impl.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, w, s.n, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// ExpSum gives Expf's values and their sum, for lengths around the vector width, dst or not.
func TestExpSumMatchesExpf(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 33, 4096, 4099} {
		for _, scale := range []float32{1, 0.7, 2} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(rng.NormFloat64() * 30)
			}
			src = append(src, 100, -100, -87.4, 88.7, 0)[:n]
			shift := float32(rng.NormFloat64() * 10)
			dst := make([]float32, n)
			sum := ExpSum(dst, src, scale, shift)
			var want float64
			for i, x := range src {
				w := Expf(max(x*scale-shift, -87.33654))
				want += float64(w)
				// The vector kernel rounds x*scale-shift once (FMA): an ulp of the argument more.
				tol := float64(w) * (4e-7 + 1.2e-7*(math.Abs(float64(x*scale))+math.Abs(float64(shift))))
				if d := math.Abs(float64(dst[i] - w)); !(d <= tol) && !(math.IsInf(float64(w), 1) && math.IsInf(float64(dst[i]), 1)) {
					t.Fatalf("n %d: exp(%v*%v-%v) = %v, Expf %v", n, x, scale, shift, dst[i], w)
				}
			}
			if only := ExpSum(nil, src, scale, shift); only != sum {
				t.Fatalf("n %d: the sum alone %v, with dst %v", n, only, sum)
			}
			if !(math.Abs(sum-want) <= 1e-5*want) && !(math.IsInf(sum, 1) && math.IsInf(want, 1)) {
				t.Fatalf("n %d: sum %v, want %v", n, sum, want)
			}
		}
	}
}

// Each element's exponential is the same wherever the slice is cut (kernels split rows over
// the CPUs, and results must not depend on how many there are).
func TestExpSumIndependentOfCuts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	src := make([]float32, 131)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 5)
	}
	whole := make([]float32, len(src))
	ExpSum(whole, src, 0.9, 1.5)
	for _, cut := range []int{1, 3, 8, 13, 26, 64, 130} {
		parts := make([]float32, len(src))
		ExpSum(parts[:cut], src[:cut], 0.9, 1.5)
		ExpSum(parts[cut:], src[cut:], 0.9, 1.5)
		for i := range src {
			if parts[i] != whole[i] {
				t.Fatalf("cut at %d: element %d is %v, %v uncut", cut, i, parts[i], whole[i])
			}
		}
	}
}

// A NaN argument gives NaN, and a NaN sum, as Expf does, at every position of a vector.
func TestExpSumKeepsNaN(t *testing.T) {
	for at := range 11 {
		src := make([]float32, 11)
		src[at] = float32(math.NaN())
		dst := make([]float32, len(src))
		if sum := ExpSum(dst, src, 1, 0); !math.IsNaN(sum) || !math.IsNaN(float64(dst[at])) {
			t.Fatalf("NaN at %d: exp %v, sum %v", at, dst[at], sum)
		}
		if dst[(at+1)%len(src)] != 1 {
			t.Fatalf("NaN at %d: exp(0) beside it is %v", at, dst[(at+1)%len(src)])
		}
	}
}

func BenchmarkExpSum(b *testing.B) {
	src, dst := make([]float32, 4096), make([]float32, 4096)
	for i := range src {
		src[i] = float32(i%97) - 90
	}
	b.Run("ExpSum", func(b *testing.B) {
		for b.Loop() {
			ExpSum(dst, src, 1, 3)
		}
	})
	b.Run("Expf", func(b *testing.B) {
		for b.Loop() {
			var s float64
			for i, x := range src {
				dst[i] = Expf(x - 3)
				s += float64(dst[i])
			}
		}
	})
}

// The FMA Sgemv gives gonum's results for both orientations, strides, alpha and beta; beta 0
// never reads y.
func TestSgemvMatchesGonum(t *testing.T) {
	if !HasFMA {
		t.Skip("no AVX2/FMA kernels in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	for _, s := range []struct {
		m, n, pad   int
		alpha, beta float32
	}{
		{1, 8, 0, 1, 0}, {3, 32, 96, 0.125, 0}, {4, 8, 0, 1, 0}, {7, 32, 96, 1, 0}, {65, 32, 352, 0.5, 0},
		{128, 64, 0, 1, 1}, {9, 16, 3, -1, 0.5}, {12, 96, 5, 2, 0}, {5, 12, 0, 1, 0}, {6, 40, 1, 1, 0.25},
	} {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			t.Run(fmt.Sprintf("%c/%dx%d+%d/%g/%g", tA, s.m, s.n, s.pad, s.alpha, s.beta), func(t *testing.T) {
				lda := s.n + s.pad
				a := fill((s.m-1)*lda + s.n)
				lenX, lenY := s.n, s.m
				if tA == blas.Trans {
					lenX, lenY = s.m, s.n
				}
				x, y := fill(lenX), fill(lenY)
				if s.beta == 0 {
					for i := range y {
						y[i] = float32(math.NaN())
					}
				}
				want := append([]float32(nil), y...)
				gonum.Implementation{}.Sgemv(tA, s.m, s.n, s.alpha, a, lda, x, 1, s.beta, want, 1)
				Implementation{}.Sgemv(tA, s.m, s.n, s.alpha, a, lda, x, 1, s.beta, y, 1)
				for i := range y {
					if tol := 1e-5 * float32(1+lenX) * (1 + abs32(s.alpha)); !(abs32(y[i]-want[i]) <= tol) {
						t.Fatalf("y[%d] = %v, gonum %v", i, y[i], want[i])
					}
				}
			})
		}
	}
}
