package calibration

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

const eps = 1e-12

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestSummarizeHandComputed(t *testing.T) {
	ln9, ln73 := math.Log(9), math.Log(7.0/3)
	tests := []struct {
		name      string
		margins   []float64
		bins      int
		pairs     int
		nonFinite int
		acc, loss float64
		ece       float64
		counts    []int     // per bin
		conf, bac []float64 // per bin mean confidence and accuracy (only non-empty bins checked)
	}{
		{
			name: "empty", margins: nil, bins: 4,
			counts: []int{0, 0, 0, 0},
		},
		{
			name: "single tie", margins: []float64{0}, bins: 4,
			pairs: 1, acc: 0.5, loss: math.Ln2, ece: 0,
			counts: []int{1, 0, 0, 0}, conf: []float64{0.5, 0, 0, 0}, bac: []float64{0.5, 0, 0, 0},
		},
		{
			// p = 0.9, always right: conf 0.9, acc 1, ECE 0.1, loss log(10/9).
			name: "confident and right", margins: []float64{ln9, ln9}, bins: 4,
			pairs: 2, acc: 1, loss: math.Log(10.0 / 9), ece: 0.1,
			counts: []int{0, 0, 0, 2}, conf: []float64{0, 0, 0, 0.9}, bac: []float64{0, 0, 0, 1},
		},
		{
			// Symmetric: -ln9 is a confident wrong pair, confidence still 0.9.
			name: "confident half right", margins: []float64{ln9, -ln9}, bins: 4,
			pairs: 2, acc: 0.5, loss: (math.Log(10.0/9) + math.Log(10)) / 2, ece: 0.4,
			counts: []int{0, 0, 0, 2}, conf: []float64{0, 0, 0, 0.9}, bac: []float64{0, 0, 0, 0.5},
		},
		{
			// conf: .9 .9 .9 .7 .5; correct: 1 1 0 1 .5
			// bin0 [.5,.625): n=1 conf .5 acc .5; bin1 [.625,.75): n=1 conf .7 acc 1;
			// bin3 [.875,1]: n=3 conf .9 acc 2/3.
			// ECE = 1/5*0 + 1/5*0.3 + 3/5*(0.9-2/3) = 0.06 + 0.14 = 0.2
			name: "mixed", margins: []float64{ln9, ln9, -ln9, ln73, 0}, bins: 4,
			pairs: 5, acc: 0.7,
			loss:   (2*math.Log(10.0/9) + math.Log(10) + math.Log(10.0/7) + math.Ln2) / 5,
			ece:    0.2,
			counts: []int{1, 1, 0, 3}, conf: []float64{0.5, 0.7, 0, 0.9}, bac: []float64{0.5, 1, 0, 2.0 / 3},
		},
		{
			name: "non-finite counted apart", margins: []float64{math.NaN(), math.Inf(1), math.Inf(-1), ln9}, bins: 4,
			pairs: 1, nonFinite: 3, acc: 1, loss: math.Log(10.0 / 9), ece: 0.1,
			counts: []int{0, 0, 0, 1}, conf: []float64{0, 0, 0, 0.9}, bac: []float64{0, 0, 0, 1},
		},
		{
			// Saturated sigmoid: confidence exactly 1 lands in the last bin; loss of -1000 is 1000.
			name: "huge margins", margins: []float64{1000, -1000}, bins: 2,
			pairs: 2, acc: 0.5, loss: 500, ece: 0.5,
			counts: []int{0, 2}, conf: []float64{0, 1}, bac: []float64{0, 0.5},
		},
		{
			name: "negative zero is a tie", margins: []float64{math.Copysign(0, -1)}, bins: 1,
			pairs: 1, acc: 0.5, loss: math.Ln2,
			counts: []int{1}, conf: []float64{0.5}, bac: []float64{0.5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.margins, tc.bins)
			if s.Pairs != tc.pairs || s.NonFinite != tc.nonFinite {
				t.Fatalf("pairs=%d nonFinite=%d, want %d %d", s.Pairs, s.NonFinite, tc.pairs, tc.nonFinite)
			}
			if !near(s.Accuracy, tc.acc, eps) || !near(s.Loss, tc.loss, 1e-9) || !near(s.ECE, tc.ece, 1e-9) {
				t.Fatalf("acc=%v loss=%v ece=%v, want %v %v %v", s.Accuracy, s.Loss, s.ECE, tc.acc, tc.loss, tc.ece)
			}
			if len(s.Bins) != len(tc.counts) {
				t.Fatalf("%d bins, want %d", len(s.Bins), len(tc.counts))
			}
			for i, b := range s.Bins {
				if b.Count != tc.counts[i] {
					t.Errorf("bin %d count %d, want %d", i, b.Count, tc.counts[i])
				}
				if b.Count > 0 && (!near(b.MeanConfidence, tc.conf[i], 1e-9) || !near(b.Accuracy, tc.bac[i], 1e-9)) {
					t.Errorf("bin %d conf=%v acc=%v, want %v %v", i, b.MeanConfidence, b.Accuracy, tc.conf[i], tc.bac[i])
				}
				if b.Count == 0 && (b.MeanConfidence != 0 || b.Accuracy != 0) {
					t.Errorf("empty bin %d has conf=%v acc=%v", i, b.MeanConfidence, b.Accuracy)
				}
			}
			if got := s.Margins.Total(); got != len(tc.margins) {
				t.Errorf("margin histogram holds %d values, want %d", got, len(tc.margins))
			}
		})
	}
}

func TestBinEdges(t *testing.T) {
	tests := []struct {
		bins int
		want int // resulting bin count
	}{{4, 4}, {1, 1}, {0, DefaultBins}, {-3, DefaultBins}, {MaxBins + 5, MaxBins}}
	for _, tc := range tests {
		s := Summarize([]float64{1}, tc.bins)
		if len(s.Bins) != tc.want {
			t.Fatalf("bins=%d: got %d bins, want %d", tc.bins, len(s.Bins), tc.want)
		}
		if s.Bins[0].Lo != 0.5 || s.Bins[len(s.Bins)-1].Hi != 1 {
			t.Fatalf("bins=%d: range [%v, %v], want [0.5, 1]", tc.bins, s.Bins[0].Lo, s.Bins[len(s.Bins)-1].Hi)
		}
		for i := 1; i < len(s.Bins); i++ {
			if s.Bins[i].Lo != s.Bins[i-1].Hi {
				t.Fatalf("bins=%d: gap between bin %d and %d", tc.bins, i-1, i)
			}
		}
	}
	// A confidence exactly on an inner edge goes to the upper bin: sigmoid(ln 3) = 0.75 with 2 bins.
	s := Summarize([]float64{math.Log(3)}, 2)
	if conf := Sigmoid(math.Log(3)); conf == 0.75 && s.Bins[1].Count != 1 {
		t.Fatalf("confidence 0.75 not in bin [0.75, 1]: %+v", s.Bins)
	}
}

func TestSummarizeFloat32(t *testing.T) {
	m64 := []float64{1.5, -0.25, 3, 0, -4, 0.5}
	m32 := make([]float32, len(m64))
	for i, m := range m64 {
		m32[i] = float32(m)
	}
	a, b := Summarize(m64, 5), Summarize(m32, 5)
	if a.Pairs != b.Pairs || a.Accuracy != b.Accuracy || !near(a.Loss, b.Loss, 1e-7) || !near(a.ECE, b.ECE, 1e-7) {
		t.Fatalf("float32 %v differs from float64 %v", b, a)
	}
}

func TestSigmoidSoftplusStable(t *testing.T) {
	tests := []struct{ x, sig, sp float64 }{
		{0, 0.5, math.Ln2},
		{math.Log(3), 0.75, math.Log(4)},
		{-math.Log(3), 0.25, math.Log(4.0 / 3)},
		{800, 1, 800},
		{-800, 0, 0},
		{-40, math.Exp(-40) / (1 + math.Exp(-40)), math.Log1p(math.Exp(-40))},
	}
	for _, tc := range tests {
		if got := Sigmoid(tc.x); !near(got, tc.sig, 1e-15) || math.IsNaN(got) {
			t.Errorf("Sigmoid(%v) = %v, want %v", tc.x, got, tc.sig)
		}
		if got := Softplus(tc.x); !near(got, tc.sp, 1e-12*math.Max(1, tc.sp)) || math.IsInf(got, 0) {
			t.Errorf("Softplus(%v) = %v, want %v", tc.x, got, tc.sp)
		}
	}
	// Precision for very negative x: log(1+e^-40) ≈ e^-40, which naive log(1+exp) rounds to 0.
	if got := Softplus(-40); got == 0 || !near(got/math.Exp(-40), 1, 1e-12) {
		t.Errorf("Softplus(-40) = %v lost precision", got)
	}
}

// synthetic draws n pairs with model margin m ~ N(0, 2^2). The first item wins with probability
// sigmoid(m); the winner is stored as chosen, so the stored margin is m or -m. The model is then
// calibrated by construction; scale multiplies the stored margins afterwards.
func synthetic(rng *rand.Rand, n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		m := 2 * rng.NormFloat64()
		if rng.Float64() >= Sigmoid(m) {
			m = -m
		}
		out[i] = scale * m
	}
	return out
}

func TestECEProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	calibrated := Summarize(synthetic(rng, n, 1), 10)
	if calibrated.ECE > 0.01 {
		t.Errorf("calibrated data: ECE %.4f, want < 0.01 (%v)", calibrated.ECE, calibrated)
	}
	for _, b := range calibrated.Bins {
		if b.Count > 2000 && math.Abs(b.Accuracy-b.MeanConfidence) > 0.03 {
			t.Errorf("calibrated bin [%.2f,%.2f): acc %.3f vs conf %.3f", b.Lo, b.Hi, b.Accuracy, b.MeanConfidence)
		}
	}
	over := Summarize(synthetic(rng, n, 5), 10)
	if over.ECE < 0.1 {
		t.Errorf("over-confident data: ECE %.4f, want > 0.1 (%v)", over.ECE, over)
	}
	// Scaling does not change which side wins, so accuracy is the same; loss gets worse.
	if math.Abs(over.Accuracy-calibrated.Accuracy) > 0.01 || over.Loss <= calibrated.Loss {
		t.Errorf("over-confident: acc %.4f loss %.4f vs calibrated acc %.4f loss %.4f",
			over.Accuracy, over.Loss, calibrated.Accuracy, calibrated.Loss)
	}
	under := Summarize(synthetic(rng, n, 0.2), 10)
	t.Logf("calibrated %v; over-confident %v; under-confident %v", calibrated, over, under)
	if under.ECE < 0.05 {
		t.Errorf("under-confident data: ECE %.4f, want > 0.05", under.ECE)
	}
}

func TestAccumulatorMatchesSummarizeAndMerges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	margins := synthetic(rng, 10_000, 1.5)
	margins = append(margins, math.NaN(), 100, -100)
	want := Summarize(margins, 12)

	whole, err := NewAccumulator(Config{Bins: 12})
	if err != nil {
		t.Fatal(err)
	}
	parts := [3]*Accumulator{}
	for i := range parts {
		if parts[i], err = NewAccumulator(Config{Bins: 12}); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range margins {
		whole.Add(m)
		parts[i%3].Add(m)
	}
	if err := parts[0].Merge(parts[1]); err != nil {
		t.Fatal(err)
	}
	if err := parts[0].Merge(parts[2]); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]Summary{"whole": whole.Summary(), "merged": parts[0].Summary()} {
		if got.Pairs != want.Pairs || got.NonFinite != 1 || !near(got.Accuracy, want.Accuracy, 1e-12) ||
			!near(got.Loss, want.Loss, 1e-9) || !near(got.ECE, want.ECE, 1e-9) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
		if got.Margins.Under != want.Margins.Under || got.Margins.Over != want.Margins.Over || got.Margins.NaN != 1 ||
			want.Margins.Under == 0 || want.Margins.Over == 0 {
			t.Errorf("%s: margin histogram under/over/nan = %d/%d/%d", name, got.Margins.Under, got.Margins.Over, got.Margins.NaN)
		}
	}
	// Summary copies: later adds do not change an earlier Summary.
	s := whole.Summary()
	whole.Add(1)
	if s.Margins.Total() != len(margins) {
		t.Fatal("Summary shares its histogram with the accumulator")
	}

	other, _ := NewAccumulator(Config{Bins: 5})
	if err := whole.Merge(other); !errors.Is(err, ErrMismatch) {
		t.Fatalf("merge of different bins: %v", err)
	}
	other, _ = NewAccumulator(Config{Bins: 12, MarginLo: -1, MarginHi: 1})
	if err := whole.Merge(other); !errors.Is(err, ErrMismatch) {
		t.Fatalf("merge of different ranges: %v", err)
	}
}

func TestNewAccumulatorErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"negative bins", Config{Bins: -1}, "bins -1"},
		{"too many bins", Config{Bins: MaxBins + 1}, "bins"},
		{"reversed range", Config{MarginLo: 2, MarginHi: 1}, "range"},
		{"nan range", Config{MarginLo: math.NaN(), MarginHi: 1}, "range"},
		{"inf range", Config{MarginLo: -1, MarginHi: math.Inf(1)}, "range"},
		{"overflowing range", Config{MarginLo: -math.MaxFloat64, MarginHi: math.MaxFloat64}, "too wide"},
		{"negative buckets", Config{MarginBuckets: -2}, "buckets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAccumulator(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "calibration: ") {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	a, err := NewAccumulator(Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Summary()
	if len(s.Bins) != DefaultBins || len(s.Margins.Counts) != DefaultMarginBuckets || s.Margins.Lo != -DefaultMarginRange {
		t.Fatalf("defaults not applied: %d bins, histogram [%v,%v)x%d", len(s.Bins), s.Margins.Lo, s.Margins.Hi, len(s.Margins.Counts))
	}
}

func TestHistogram(t *testing.T) {
	h, err := NewHistogram(-1, 1, 4) // buckets [-1,-.5) [-.5,0) [0,.5) [.5,1)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{-1, -0.75, -0.5, 0, 0.25, 0.999, 1, 5, -1.01, math.Inf(-1), math.Inf(1), math.NaN()} {
		h.Add(x)
	}
	want := []int{2, 1, 2, 1}
	for i, c := range h.Counts {
		if c != want[i] {
			t.Fatalf("counts %v, want %v", h.Counts, want)
		}
	}
	if h.Under != 2 || h.Over != 3 || h.NaN != 1 || h.Total() != 12 {
		t.Fatalf("under=%d over=%d nan=%d total=%d", h.Under, h.Over, h.NaN, h.Total())
	}
	edges := h.Edges()
	wantEdges := []float64{-1, -0.5, 0, 0.5, 1}
	for i := range wantEdges {
		if edges[i] != wantEdges[i] {
			t.Fatalf("edges %v, want %v", edges, wantEdges)
		}
	}
	other, _ := NewHistogram(-1, 1, 4)
	other.Add(0.1)
	if err := h.Merge(other); err != nil || h.Counts[2] != 3 {
		t.Fatalf("merge: %v, counts %v", err, h.Counts)
	}
	bad, _ := NewHistogram(-1, 1, 5)
	if err := h.Merge(bad); err == nil {
		t.Fatal("merge of different shapes succeeded")
	}
	if _, err := NewHistogram(0, 1, 0); err == nil {
		t.Fatal("zero buckets accepted")
	}
}

// FuzzAccumulator feeds arbitrary float64 bit patterns and checks the invariants that must hold
// whatever the model outputs: no panic, no NaN in the metrics, counts adding up.
func FuzzAccumulator(f *testing.F) {
	f.Add([]byte{}, uint8(10))
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN())), uint8(3))
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e300)), math.Float64bits(-0.5)), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, bins uint8) {
		a, err := NewAccumulator(Config{Bins: int(bins)})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; len(data) >= 8; data = data[8:] {
			a.Add(math.Float64frombits(binary.LittleEndian.Uint64(data)))
			n++
		}
		s := a.Summary()
		if s.Pairs+s.NonFinite != n || s.Margins.Total() != n {
			t.Fatalf("pairs %d + nonfinite %d, histogram %d, want %d", s.Pairs, s.NonFinite, s.Margins.Total(), n)
		}
		binned := 0
		for _, b := range s.Bins {
			binned += b.Count
			if b.Count > 0 && (b.MeanConfidence < b.Lo-1e-12 || b.MeanConfidence > b.Hi+1e-12) {
				t.Fatalf("bin [%v,%v) mean confidence %v outside it", b.Lo, b.Hi, b.MeanConfidence)
			}
		}
		if binned != s.Pairs {
			t.Fatalf("bins hold %d pairs, want %d", binned, s.Pairs)
		}
		if math.IsNaN(s.Accuracy) || math.IsNaN(s.Loss) || math.IsNaN(s.ECE) ||
			s.Accuracy < 0 || s.Accuracy > 1 || s.ECE < 0 || s.ECE > 1 || s.Loss < 0 {
			t.Fatalf("bad metrics %v", s)
		}
	})
}
