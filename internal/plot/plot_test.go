package plot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/calibration"
)

// checkPNG decodes path and checks its size and that a good share of it is not background white.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if frac := inkFraction(img); frac < 0.002 { // axes and their labels alone are about 0.4%
		t.Fatalf("%s is nearly blank: %.4f of pixels drawn", path, frac)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".plot-*")); len(matches) > 0 {
		t.Fatalf("temporary files left behind: %v", matches)
	}
}

func inkFraction(img image.Image) float64 {
	b := img.Bounds()
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(b.Dx()*b.Dy())
}

// colouredPixels counts pixels that are clearly neither grey nor white: drawn data, not axes or text.
func colouredPixels(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl), min(r, g, bl)
			if hi-lo > 0x3000 {
				n++
			}
		}
	}
	return n
}

func syntheticSummary(n int, scale float64) calibration.Summary {
	rng := rand.New(rand.NewPCG(7, 8))
	acc, _ := calibration.NewAccumulator(calibration.Config{})
	for range n {
		m := 2 * rng.NormFloat64()
		if rng.Float64() >= calibration.Sigmoid(m) {
			m = -m
		}
		acc.Add(scale * m)
	}
	return acc.Summary()
}

// outDir is a fresh temporary directory, or $PLOT_KEEP_DIR to look at the charts afterwards.
func outDir(t *testing.T) string {
	if dir := os.Getenv("PLOT_KEEP_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

func timed(t *testing.T, name string, f func() error) {
	t.Helper()
	start := time.Now()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s rendered in %v", name, time.Since(start))
}

func TestReliability(t *testing.T) {
	dir := outDir(t)
	s := syntheticSummary(20_000, 3)
	path := filepath.Join(dir, "reliability.png")
	timed(t, "reliability", func() error { return Reliability(path, "PM v3 held-out pairs", s.Bins) })
	checkPNG(t, path, Width, Height)
	if colouredPixels(t, path) < 1000 {
		t.Fatal("no bars or points drawn")
	}
	// Many bins: labels are left out but the chart still renders.
	many := calibration.Summarize([]float64{0.1, 0.5, 1, 2, 3, 4, 5, -2, 7, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5, -0.2, -1, -3, -4, -5, 6, 0.05}, 100)
	path = filepath.Join(dir, "many.png")
	if err := Reliability(path, "", many.Bins); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, Width, Height)
}

func TestReliabilityErrors(t *testing.T) {
	ok := calibration.Summarize([]float64{1, -1, 2}, 4).Bins
	mutate := func(f func(b []calibration.Bin)) []calibration.Bin {
		b := append([]calibration.Bin(nil), ok...)
		f(b)
		return b
	}
	tests := []struct {
		name string
		bins []calibration.Bin
		want string
	}{
		{"no bins", nil, "no calibration bins"},
		{"no pairs", calibration.Summarize([]float64(nil), 4).Bins, "no pairs"},
		{"nan accuracy", mutate(func(b []calibration.Bin) { b[3].Count, b[3].Accuracy = 1, math.NaN() }), "accuracy NaN"},
		{"confidence above 1", mutate(func(b []calibration.Bin) { b[3].Count, b[3].MeanConfidence = 1, 1.5 }), "not in [0, 1]"},
		{"reversed bin", mutate(func(b []calibration.Bin) { b[0].Lo, b[0].Hi = 0.7, 0.6 }), "bin 0: range"},
		{"inf edge", mutate(func(b []calibration.Bin) { b[1].Hi = math.Inf(1) }), "bin 1: range"},
		{"negative count", mutate(func(b []calibration.Bin) { b[2].Count = -1 }), "negative count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.png")
			err := Reliability(path, "t", tc.bins)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "plot: ") {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if _, statErr := os.Stat(path); statErr == nil {
				t.Fatal("file written despite the error")
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	dir := outDir(t)
	rng := rand.New(rand.NewPCG(1, 1))
	chosen, rejected := make([]float64, 5000), make([]float64, 5000)
	for i := range chosen {
		chosen[i] = 1 + rng.NormFloat64()
		rejected[i] = -0.5 + 1.2*rng.NormFloat64()
	}
	chosen[10], rejected[3] = math.NaN(), math.Inf(1) // skipped, shown in the legend

	path := filepath.Join(dir, "scores.png")
	timed(t, "histogram (raw)", func() error {
		return Histogram(path, "reward scores", HistogramSeries{Name: "chosen", Values: chosen}, HistogramSeries{Name: "rejected", Values: rejected})
	})
	checkPNG(t, path, Width, Height)
	if colouredPixels(t, path) < 5000 {
		t.Fatal("no bars drawn")
	}

	// Pre-binned from the streaming accumulator.
	s := syntheticSummary(20_000, 3)
	path = filepath.Join(dir, "margins.png")
	timed(t, "histogram (binned)", func() error { return Histogram(path, "margins", HistogramOf("r_chosen - r_rejected", s.Margins)) })
	checkPNG(t, path, Width, Height)
	if s.Margins.Under == 0 || s.Margins.Over == 0 {
		t.Fatal("test data should overflow the margin range")
	}

	// One repeated value: a degenerate range is widened, not an error.
	path = filepath.Join(dir, "constant.png")
	if err := Histogram(path, "", HistogramSeries{Values: []float64{2, 2, 2}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, Width, Height)

	// Everything out of range: axes are still drawn, with the counts in the legend.
	path = filepath.Join(dir, "overflow.png")
	if err := Histogram(path, "", HistogramSeries{Name: "x", Edges: []float64{0, 1}, Counts: []int{0}, Over: 5}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, Width, Height)
}

func TestHistogramErrors(t *testing.T) {
	tests := []struct {
		name   string
		series []HistogramSeries
		want   string
	}{
		{"no series", nil, "no histogram series"},
		{"empty series", []HistogramSeries{{Name: "a"}}, `"a" has neither`},
		{"all nan", []HistogramSeries{{Name: "a", Values: []float64{math.NaN()}}}, "no finite values (1 skipped)"},
		{"both kinds", []HistogramSeries{{Name: "a", Values: []float64{1}, Counts: []int{1}, Edges: []float64{0, 1}}}, "both Values"},
		{"edge count", []HistogramSeries{{Name: "a", Counts: []int{1, 2}, Edges: []float64{0, 1}}}, "2 edges for 2 counts, want 3"},
		{"decreasing edges", []HistogramSeries{{Name: "a", Counts: []int{1, 2}, Edges: []float64{0, 2, 1}}}, "bucket 1: edges"},
		{"nan edge", []HistogramSeries{{Name: "a", Counts: []int{1}, Edges: []float64{math.NaN(), 1}}}, "bucket 0: edges"},
		{"negative count", []HistogramSeries{{Name: "a", Counts: []int{-1}, Edges: []float64{0, 1}}}, "negative count"},
		{"negative over", []HistogramSeries{{Name: "a", Counts: []int{1}, Edges: []float64{0, 1}, Over: -1}}, "negative Under/Over"},
		{"counts nothing", []HistogramSeries{{Name: "a", Counts: []int{0, 0}, Edges: []float64{0, 1, 2}}}, "counts nothing"},
		{"second bad", []HistogramSeries{{Values: []float64{1}}, {Values: []float64{math.Inf(-1)}}}, `"series 2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Histogram(filepath.Join(t.TempDir(), "h.png"), "t", tc.series...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	dir := outDir(t)
	ns := []float64{100, 300, 1000, 3000}
	scratch := Series{Name: "from scratch", X: ns, Y: []float64{0.55, 0.58, 0.63, 0.68}, YErr: []float64{0.02, 0.015, 0.01, 0.01}, Markers: true}
	pmp := Series{Name: "from PMP", X: ns, Y: []float64{0.61, 0.64, 0.67, 0.70}, YErr: []float64{0.02, 0.01, 0.01, 0.005}, Markers: true}

	path := filepath.Join(dir, "lines.png")
	timed(t, "lines", func() error { return Lines(path, "sample efficiency", "ranking pairs", "accuracy", scratch, pmp) })
	checkPNG(t, path, Width, Height)

	path = filepath.Join(dir, "pmp-transfer.png")
	timed(t, "one log-x panel", func() error {
		return Panels(path, "", Panel{Title: "PMP transfer", XLabel: "N", YLabel: "accuracy", LogX: true, Series: []Series{scratch, pmp}})
	})
	checkPNG(t, path, Width, PanelHeight)
	if colouredPixels(t, path) < 500 {
		t.Fatal("no lines drawn")
	}

	// PPO curves: two panels, a NaN KL skipped.
	updates := make([]float64, 200)
	reward, kl := make([]float64, 200), make([]float64, 200)
	for i := range updates {
		updates[i] = float64(i + 1)
		reward[i] = math.Log1p(float64(i)) / 3
		kl[i] = 0.02 * float64(i) / 10
	}
	kl[50] = math.NaN()
	path = filepath.Join(dir, "ppo.png")
	timed(t, "two panels", func() error {
		return Panels(path, "PPO run 7",
			Panel{Title: "reward", XLabel: "update", YLabel: "mean PM score", Series: []Series{{Name: "reward", X: updates, Y: reward}}},
			Panel{Title: "KL", XLabel: "update", YLabel: "KL(policy || reference)", Series: []Series{{Name: "KL", X: updates, Y: kl}}})
	})
	checkPNG(t, path, Width, 2*PanelHeight)

	// A single point still shows (as a marker).
	path = filepath.Join(dir, "point.png")
	if err := Lines(path, "", "", "", Series{X: []float64{1}, Y: []float64{2}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, Width, Height)
	if n := colouredPixels(t, path); n < 20 {
		t.Fatalf("single point not drawn (%d coloured pixels)", n)
	}
}

func TestLinesErrors(t *testing.T) {
	tests := []struct {
		name   string
		series []Series
		logX   bool
		want   string
	}{
		{"no series", nil, false, "no series"},
		{"no points", []Series{{Name: "a"}}, false, `"a" has no points`},
		{"length mismatch", []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}, false, "2 X and 1 Y"},
		{"yerr mismatch", []Series{{Name: "a", X: []float64{1}, Y: []float64{1}, YErr: []float64{1, 2}}}, false, "2 YErr for 1 Y"},
		{"negative yerr", []Series{{Name: "a", X: []float64{1}, Y: []float64{1}, YErr: []float64{-1}}}, false, "negative error bar"},
		{"all nan", []Series{{Name: "a", X: []float64{1, math.Inf(1)}, Y: []float64{math.NaN(), 1}}}, false, "no finite points (2 skipped)"},
		{"zero on log x", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 1}}}, true, "point 0: x = 0 on a logarithmic axis"},
		{"unnamed second", []Series{{X: []float64{1}, Y: []float64{1}}, {X: []float64{1}}}, false, `"series 2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.png")
			err := Panels(path, "t", Panel{LogX: tc.logX, Series: tc.series})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if !tc.logX {
				if err2 := Lines(path, "t", "x", "y", tc.series...); err2 == nil || !strings.Contains(err2.Error(), tc.want) {
					t.Fatalf("Lines err = %v, want one containing %q", err2, tc.want)
				}
			}
		})
	}
	if err := Panels(filepath.Join(t.TempDir(), "p.png"), "t"); !errors.Is(err, ErrNoData) {
		t.Fatalf("no panels: %v", err)
	}
	err := Panels(filepath.Join(t.TempDir(), "p.png"), "t", Panel{Series: []Series{{X: []float64{1}, Y: []float64{1}}}}, Panel{})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "panel 2") {
		t.Fatalf("empty second panel: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	series := Series{X: []float64{1, 2}, Y: []float64{1, 2}}
	err := Lines(filepath.Join(t.TempDir(), "missing", "dir", "x.png"), "", "", "", series)
	if err == nil || !strings.Contains(err.Error(), "missing/dir/x.png") {
		t.Fatalf("missing directory: %v", err)
	}
	// Overwriting an existing chart replaces it whole.
	path := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Lines(path, "", "", "", series); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, Width, Height)
}

func BenchmarkReliability(b *testing.B) {
	s := syntheticSummary(10_000, 2)
	path := filepath.Join(b.TempDir(), "r.png")
	for b.Loop() {
		if err := Reliability(path, "bench", s.Bins); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPanels(b *testing.B) {
	x, y := make([]float64, 1000), make([]float64, 1000)
	for i := range x {
		x[i], y[i] = float64(i), math.Sin(float64(i)/50)
	}
	path := filepath.Join(b.TempDir(), "p.png")
	for b.Loop() {
		if err := Panels(path, "bench", Panel{Series: []Series{{X: x, Y: y}}}, Panel{Series: []Series{{X: x, Y: y}}}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCharts draws arbitrary float data: every call must end in a valid PNG or a clear error, and
// the plotting library must never reach a panic (which save would turn into an error).
func FuzzCharts(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e308)), math.Float64bits(-1e308)), true)
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1)), math.Float64bits(1+1e-15)), false)
	f.Fuzz(func(t *testing.T, data []byte, logX bool) {
		var vals []float64
		for ; len(data) >= 8 && len(vals) < 64; data = data[8:] {
			vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(data)))
		}
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("WATCHDOG %v %v", vals, logX)) })
		drawAll(t, vals, logX)
		watchdog.Stop()
	})
}

func drawAll(t *testing.T, vals []float64, logX bool) {
	half := len(vals) / 2
	dir := t.TempDir()
	check := func(name string, err error) {
		if err == nil {
			checkPNG(t, filepath.Join(dir, name), Width, Height)
		} else if strings.Contains(err.Error(), "panicked") || !strings.HasPrefix(err.Error(), "plot: ") {
			t.Fatalf("%s: %v", name, err)
		}
	}
	check("lines.png", Lines(filepath.Join(dir, "lines.png"), "t", "x", "y", Series{X: vals[:half], Y: vals[half : 2*half]}))
	if logX {
		err := Panels(filepath.Join(dir, "log.png"), "", Panel{LogX: true, Series: []Series{{X: vals[:half], Y: vals[half : 2*half], Markers: true}}})
		if err != nil && (strings.Contains(err.Error(), "panicked") || !strings.HasPrefix(err.Error(), "plot: ")) {
			t.Fatalf("log: %v", err)
		}
	}
	check("raw.png", Histogram(filepath.Join(dir, "raw.png"), "t", HistogramSeries{Values: vals}))
	if len(vals) > 1 {
		counts := make([]int, len(vals)-1)
		for i := range counts {
			counts[i] = i % 3
		}
		check("binned.png", Histogram(filepath.Join(dir, "binned.png"), "t", HistogramSeries{Edges: vals, Counts: counts}))
	}
	bins := calibration.Summarize(vals, 1+len(vals)%12).Bins
	check("rel.png", Reliability(filepath.Join(dir, "rel.png"), "t", bins))
}
