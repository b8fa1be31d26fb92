// Package plot writes prefstream's evaluation charts as PNG files: a reliability diagram for a
// preference model's calibration, overlaid histograms of scores or margins, and line charts (one
// or several stacked panels) for sample-efficiency curves and per-update PPO curves.
//
// Every function validates its input first and returns an error naming the series and the problem
// instead of drawing something misleading; it never panics. Non-finite points in line and raw
// histogram data are skipped and their number is shown in the legend; non-finite bin edges, counts
// or calibration bins are rejected. Files are written to a temporary name in the same directory
// and renamed, so a reader never sees a half-written PNG.
//
// Charts are Width x Height pixels (a stack of panels is Width x PanelHeight per panel) at DPI.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/prefstream/prefstream/internal/calibration"
)

// Chart sizes, in pixels at DPI dots per inch.
const (
	Width       = 800 // pixels
	Height      = 600 // pixels, single-panel charts
	PanelHeight = 360 // pixels per panel of Panels
	DPI         = 96

	// DefaultBuckets is the number of buckets for raw histogram Values.
	DefaultBuckets = 40
	// maxLabelledBins bounds the reliability bins annotated with their counts, so that the labels
	// never overlap into an unreadable smear.
	maxLabelledBins = 20
	titleSize       = 14
)

// ErrNoData is wrapped by errors for an empty chart: no series, no points, no pairs.
var ErrNoData = errors.New("plot: no data")

// Series is one line of a line chart. X and Y have the same length; YErr, if not nil, has that
// length too and gives a symmetric error bar (e.g. the standard deviation over seeds) per point.
type Series struct {
	Name    string
	X, Y    []float64
	YErr    []float64
	Markers bool // draw a glyph at each point as well as the line
}

// Panel is one chart of a stack drawn by Panels.
type Panel struct {
	Title, XLabel, YLabel string
	LogX                  bool // logarithmic x axis; every X must then be > 0
	Series                []Series
}

// Lines writes a line chart of series to path.
func Lines(path, title, xLabel, yLabel string, series ...Series) error {
	p, err := linePlot(Panel{Title: title, XLabel: xLabel, YLabel: yLabel, Series: series})
	if err != nil {
		return err
	}
	return save(path, Height, func(c draw.Canvas) { p.Draw(c) })
}

// Panels writes panels stacked top to bottom to path, each PanelHeight pixels tall with aligned
// plotting areas, under an optional overall title: e.g. reward and KL per PPO update. A single
// Panel is also the way to draw one chart with a logarithmic x axis (N = 100, 300, 1000, 3000).
func Panels(path, title string, panels ...Panel) error {
	if len(panels) == 0 {
		return fmt.Errorf("%w: no panels for %s", ErrNoData, path)
	}
	plots := make([][]*gplot.Plot, len(panels))
	for i, panel := range panels {
		p, err := linePlot(panel)
		if err != nil {
			return fmt.Errorf("%w (panel %d)", err, i+1)
		}
		plots[i] = []*gplot.Plot{p}
	}
	return save(path, PanelHeight*len(panels), func(c draw.Canvas) {
		if title != "" {
			sty := gplot.New().Title.TextStyle
			sty.Font = font.From(gplot.DefaultFont, titleSize)
			c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - vg.Points(4)}, title)
			c = draw.Crop(c, 0, 0, 0, -(sty.Rectangle(title).Size().Y + vg.Points(8)))
		}
		tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4)}
		canvases := gplot.Align(plots, tiles, c)
		for i := range plots {
			plots[i][0].Draw(canvases[i][0])
		}
	})
}

func linePlot(panel Panel) (*gplot.Plot, error) {
	if len(panel.Series) == 0 {
		return nil, fmt.Errorf("%w: no series", ErrNoData)
	}
	p := newPlot(panel.Title)
	p.X.Label.Text, p.Y.Label.Text = panel.XLabel, panel.YLabel
	p.Add(plotter.NewGrid())
	var xs []float64
	for i, s := range panel.Series {
		name := seriesName(s.Name, i)
		xys, yerrs, skipped, err := finitePoints(name, s, panel.LogX)
		if err != nil {
			return nil, err
		}
		col := plotutil.Color(i)
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: series %q: %w", name, err)
		}
		line.Color, line.Width = col, vg.Points(1.5)
		line.Dashes = plotutil.Dashes(i)
		p.Add(line)
		label := name + skippedNote(skipped, "point")
		thumbs := []gplot.Thumbnailer{line}
		if s.Markers || len(xys) == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("plot: series %q: %w", name, err)
			}
			sc.Color, sc.Shape, sc.Radius = col, plotutil.Shape(i), vg.Points(3)
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if yerrs != nil {
			bars, err := plotter.NewYErrorBars(errPoints{xys, yerrs})
			if err != nil {
				return nil, fmt.Errorf("plot: series %q error bars: %w", name, err)
			}
			bars.Color = col
			p.Add(bars)
		}
		p.Legend.Add(label, thumbs...)
		for _, xy := range xys {
			xs = append(xs, xy.X)
		}
	}
	if panel.LogX {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks(xs)
	}
	padFlat(&p.X, panel.LogX)
	padFlat(&p.Y, false)
	if err := drawableRange(p); err != nil {
		return nil, err
	}
	legendHeadroom(p, len(panel.Series))
	return p, nil
}

// padFlat widens an axis whose data is a single value, at any magnitude: gonum's own padding (±1)
// is lost in rounding beyond 2^53 and leaves an empty range that its tick code cannot take.
func padFlat(a *gplot.Axis, log bool) {
	if a.Min != a.Max {
		return
	}
	v := a.Min
	if log {
		a.Min, a.Max = v/2, v*2
		if !finite(a.Max) {
			a.Min, a.Max = v/4, v
		}
		return
	}
	d := math.Max(1, math.Abs(v)/100)
	a.Min, a.Max = v-d, v+d
}

// drawableRange rejects data whose extent overflows float64 (e.g. -1e308 to 1e308): no axis can
// show it.
func drawableRange(p *gplot.Plot) error {
	if !finite(p.X.Max-p.X.Min) || !finite(p.Y.Max-p.Y.Min) {
		return fmt.Errorf("plot: data spans x [%g, %g], y [%g, %g]: too wide to draw", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	return nil
}

// legendHeadroom raises the top of the y axis so that the legend, drawn top right, sits above the
// data instead of over it.
func legendHeadroom(p *gplot.Plot, rows int) {
	p.Legend.Top, p.Legend.Left = true, false
	span := p.Y.Max - p.Y.Min
	if span <= 0 || !finite(span) {
		return // a flat or empty range: the legend has the space gonum pads around it
	}
	if top := p.Y.Max + span*(0.08*float64(rows)+0.05); finite(top - p.Y.Min) {
		p.Y.Max = top
	}
}

// finitePoints checks a series and returns its finite points (and their error bars), with the
// number of points skipped for a non-finite X, Y or YErr.
func finitePoints(name string, s Series, logX bool) (plotter.XYs, plotter.YErrors, int, error) {
	if len(s.X) != len(s.Y) {
		return nil, nil, 0, fmt.Errorf("plot: series %q has %d X and %d Y values", name, len(s.X), len(s.Y))
	}
	if len(s.X) == 0 {
		return nil, nil, 0, fmt.Errorf("%w: series %q has no points", ErrNoData, name)
	}
	if s.YErr != nil && len(s.YErr) != len(s.Y) {
		return nil, nil, 0, fmt.Errorf("plot: series %q has %d YErr for %d Y values", name, len(s.YErr), len(s.Y))
	}
	var xys plotter.XYs
	var yerrs plotter.YErrors
	skipped := 0
	for i := range s.X {
		x, y := s.X[i], s.Y[i]
		e := 0.0
		if s.YErr != nil {
			e = s.YErr[i]
		}
		if !finite(x) || !finite(y) || !finite(e) {
			skipped++
			continue
		}
		if logX && x <= 0 {
			return nil, nil, 0, fmt.Errorf("plot: series %q point %d: x = %v on a logarithmic axis", name, i, x)
		}
		if e < 0 {
			return nil, nil, 0, fmt.Errorf("plot: series %q point %d: negative error bar %v", name, i, e)
		}
		xys = append(xys, plotter.XY{X: x, Y: y})
		if s.YErr != nil {
			yerrs = append(yerrs, struct{ Low, High float64 }{e, e})
		}
	}
	if len(xys) == 0 {
		return nil, nil, 0, fmt.Errorf("%w: series %q has no finite points (%d skipped)", ErrNoData, name, skipped)
	}
	return xys, yerrs, skipped, nil
}

type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// logTicks marks the data's own x values when there are few of them (N = 100, 300, 1000, 3000),
// else the powers of ten.
func logTicks(xs []float64) gplot.Ticker {
	slices.Sort(xs)
	xs = slices.Compact(xs)
	if len(xs) > 8 {
		return gplot.LogTicks{Prec: -1}
	}
	ticks := make(gplot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = gplot.Tick{Value: x, Label: fmt.Sprintf("%g", x)}
	}
	return ticks
}

// HistogramSeries is one histogram of a Histogram chart, given either as raw Values (binned with
// DefaultBuckets buckets over the range shared by all raw series, non-finite values skipped) or
// pre-binned as Edges (len(Counts)+1 increasing bounds) and Counts, e.g. from a streaming
// calibration.Histogram via HistogramOf. Under and Over count values outside the edges; they are
// shown in the legend.
type HistogramSeries struct {
	Name        string
	Values      []float64
	Edges       []float64
	Counts      []int
	Under, Over int
	NaN         int // values left out as not a number
}

// HistogramOf turns a streaming histogram into a pre-binned series.
func HistogramOf(name string, h calibration.Histogram) HistogramSeries {
	return HistogramSeries{Name: name, Edges: h.Edges(), Counts: slices.Clone(h.Counts), Under: h.Under, Over: h.Over, NaN: h.NaN}
}

// Histogram writes the series as overlaid, translucent histograms to path: e.g. the scores of
// chosen and of rejected responses, or the margins.
func Histogram(path, title string, series ...HistogramSeries) error {
	if len(series) == 0 {
		return fmt.Errorf("%w: no histogram series for %s", ErrNoData, path)
	}
	lo, hi, haveRaw := math.Inf(1), math.Inf(-1), false
	for i, s := range series {
		name := seriesName(s.Name, i)
		hasBins := s.Edges != nil || s.Counts != nil
		if s.Values != nil && hasBins {
			return fmt.Errorf("plot: histogram %q has both Values and Edges/Counts", name)
		}
		if s.Under < 0 || s.Over < 0 || s.NaN < 0 {
			return fmt.Errorf("plot: histogram %q has negative Under/Over/NaN counts", name)
		}
		for _, v := range s.Values {
			if finite(v) {
				lo, hi, haveRaw = math.Min(lo, v), math.Max(hi, v), true
			}
		}
	}
	if haveRaw && lo == hi {
		d := math.Max(0.5, math.Abs(lo)/100)
		lo, hi = lo-d, hi+d
	}
	if haveRaw && !finite(hi-lo) {
		return fmt.Errorf("plot: histogram values span [%g, %g]: too wide to draw", lo, hi)
	}
	p := newPlot(title)
	p.Y.Label.Text = "count"
	p.Y.Min = 0
	for i, s := range series {
		name := seriesName(s.Name, i)
		bins, total, skipped, err := histogramBins(name, s, lo, hi)
		if err != nil {
			return err
		}
		h := &plotter.Histogram{Bins: bins, Width: bins[0].Max - bins[0].Min}
		col := plotutil.Color(i)
		r, g, b, _ := col.RGBA()
		h.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 110}
		h.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1)}
		p.Add(h)
		label := fmt.Sprintf("%s (n=%d)", name, total)
		if s.Under > 0 || s.Over > 0 {
			label += fmt.Sprintf(", %d below, %d above range", s.Under, s.Over)
		}
		p.Legend.Add(label+skippedNote(skipped, "value"), h)
	}
	if p.Y.Max <= 0 {
		p.Y.Max = 1 // every bucket empty (all values out of range): still draw the axes
	}
	if err := drawableRange(p); err != nil {
		return err
	}
	legendHeadroom(p, len(series))
	return save(path, Height, func(c draw.Canvas) { p.Draw(c) })
}

func histogramBins(name string, s HistogramSeries, lo, hi float64) ([]plotter.HistogramBin, int, int, error) {
	if s.Values != nil {
		counts := make([]int, DefaultBuckets)
		total, skipped := 0, 0
		for _, v := range s.Values {
			if !finite(v) {
				skipped++
				continue
			}
			i := int((v - lo) / (hi - lo) * DefaultBuckets)
			counts[max(0, min(i, DefaultBuckets-1))]++
			total++
		}
		if total == 0 {
			return nil, 0, 0, fmt.Errorf("%w: histogram %q has no finite values (%d skipped)", ErrNoData, name, skipped)
		}
		bins := make([]plotter.HistogramBin, DefaultBuckets)
		width := (hi - lo) / DefaultBuckets
		for i, c := range counts {
			bins[i] = plotter.HistogramBin{Min: lo + float64(i)*width, Max: lo + float64(i+1)*width, Weight: float64(c)}
		}
		return bins, total, skipped, nil
	}
	if len(s.Counts) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: histogram %q has neither Values nor Counts", ErrNoData, name)
	}
	if len(s.Edges) != len(s.Counts)+1 {
		return nil, 0, 0, fmt.Errorf("plot: histogram %q has %d edges for %d counts, want %d", name, len(s.Edges), len(s.Counts), len(s.Counts)+1)
	}
	bins := make([]plotter.HistogramBin, len(s.Counts))
	total := s.Under + s.Over
	for i, c := range s.Counts {
		a, b := s.Edges[i], s.Edges[i+1]
		if !finite(a) || !finite(b) || a >= b {
			return nil, 0, 0, fmt.Errorf("plot: histogram %q bucket %d: edges [%v, %v] not finite and increasing", name, i, a, b)
		}
		if c < 0 {
			return nil, 0, 0, fmt.Errorf("plot: histogram %q bucket %d: negative count %d", name, i, c)
		}
		bins[i] = plotter.HistogramBin{Min: a, Max: b, Weight: float64(c)}
		total += c
	}
	if total == 0 {
		return nil, 0, 0, fmt.Errorf("%w: histogram %q counts nothing", ErrNoData, name)
	}
	return bins, total, s.NaN, nil
}

// Reliability writes a reliability diagram of bins to path: each non-empty bin's accuracy as a bar
// over its confidence range and as a point at its mean confidence, annotated with its pair count,
// against the diagonal of perfect calibration. The title gets the ECE and the number of pairs.
func Reliability(path, title string, bins []calibration.Bin) error {
	if len(bins) == 0 {
		return fmt.Errorf("%w: no calibration bins for %s", ErrNoData, path)
	}
	lo, hi, total := math.Inf(1), math.Inf(-1), 0
	for i, b := range bins {
		if !finite(b.Lo) || !finite(b.Hi) || b.Lo >= b.Hi || b.Lo < 0 || b.Hi > 1 {
			return fmt.Errorf("plot: calibration bin %d: range [%v, %v) not within [0, 1]", i, b.Lo, b.Hi)
		}
		if b.Count < 0 {
			return fmt.Errorf("plot: calibration bin %d: negative count %d", i, b.Count)
		}
		if b.Count > 0 && !(inUnit(b.Accuracy) && inUnit(b.MeanConfidence)) {
			return fmt.Errorf("plot: calibration bin %d: accuracy %v or confidence %v not in [0, 1]", i, b.Accuracy, b.MeanConfidence)
		}
		lo, hi, total = math.Min(lo, b.Lo), math.Max(hi, b.Hi), total+b.Count
	}
	if total == 0 {
		return fmt.Errorf("%w: no pairs in any calibration bin for %s", ErrNoData, path)
	}

	var bars []plotter.HistogramBin
	var points plotter.XYs
	var labels plotter.XYLabels
	for _, b := range bins {
		if b.Count == 0 {
			continue
		}
		bars = append(bars, plotter.HistogramBin{Min: b.Lo, Max: b.Hi, Weight: b.Accuracy})
		points = append(points, plotter.XY{X: b.MeanConfidence, Y: b.Accuracy})
		labels.XYs = append(labels.XYs, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: math.Min(b.Accuracy, 0.93)})
		labels.Labels = append(labels.Labels, compactCount(b.Count))
	}

	if title != "" {
		title += "\n"
	}
	p := newPlot(fmt.Sprintf("%sECE %.4f over %d pairs", title, calibration.ECE(bins), total))
	p.X.Label.Text, p.Y.Label.Text = "confidence max(p, 1-p)", "accuracy"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, 0, 1
	p.Legend.Top, p.Legend.Left = false, false // over the bars' lower part, where no point goes
	p.Add(plotter.NewGrid())

	h := &plotter.Histogram{Bins: bars, Width: bars[0].Max - bars[0].Min, FillColor: color.NRGBA{R: 70, G: 130, B: 180, A: 90},
		LineStyle: draw.LineStyle{Color: color.NRGBA{R: 70, G: 130, B: 180, A: 255}, Width: vg.Points(1)}}
	p.Add(h)
	p.Legend.Add("accuracy per bin (label: pairs)", h)

	diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return fmt.Errorf("plot: reliability diagonal: %w", err)
	}
	diag.Color, diag.Dashes, diag.Width = color.Gray{Y: 90}, []vg.Length{vg.Points(5), vg.Points(4)}, vg.Points(1)
	p.Add(diag)
	p.Legend.Add("perfect calibration", diag)

	sc, err := plotter.NewScatter(points)
	if err != nil {
		return fmt.Errorf("plot: reliability points: %w", err)
	}
	sc.Color, sc.Shape, sc.Radius = color.NRGBA{R: 200, G: 40, B: 40, A: 255}, draw.CircleGlyph{}, vg.Points(3.5)
	p.Add(sc)
	p.Legend.Add("accuracy at mean confidence", sc)

	if len(labels.Labels) <= maxLabelledBins {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return fmt.Errorf("plot: reliability labels: %w", err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].Font.Size = vg.Points(9)
		}
		l.Offset = vg.Point{Y: vg.Points(4)}
		p.Add(l)
	}
	return save(path, Height, func(c draw.Canvas) { p.Draw(c) })
}

func newPlot(title string) *gplot.Plot {
	p := gplot.New()
	p.X.Tick.Marker, p.Y.Tick.Marker = trimmedTicks{}, trimmedTicks{}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = titleSize
	p.Title.Padding = vg.Points(6)
	return p
}

// save renders draw onto a Width x height pixel canvas and writes it as PNG to path, through a
// temporary file renamed into place. A panic inside the plotting library becomes an error.
func save(path string, height int, render func(draw.Canvas)) (err error) {
	size := func(px int) vg.Length { return vg.Length(px) * vg.Inch / DPI }
	img := vgimg.NewWith(vgimg.UseWH(size(Width), size(height)), vgimg.UseDPI(DPI))
	if err := drawSafely(render, draw.New(img)); err != nil {
		return fmt.Errorf("plot: rendering %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plot-*.png.tmp")
	if err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(tmp); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return nil
}

func drawSafely(render func(draw.Canvas), c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plotting library panicked: %v", r)
		}
	}()
	render(c)
	return nil
}

// trimmedTicks are gonum's default ticks without trailing zeros: "500", not "500.00".
type trimmedTicks struct{}

func (trimmedTicks) Ticks(lo, hi float64) []gplot.Tick {
	ticks := gplot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if strings.Contains(t.Label, ".") && !strings.ContainsAny(t.Label, "eE") {
			ticks[i].Label = strings.TrimSuffix(strings.TrimRight(t.Label, "0"), ".")
		}
	}
	return ticks
}

func seriesName(name string, i int) string {
	if name == "" {
		return fmt.Sprintf("series %d", i+1)
	}
	return name
}

func skippedNote(n int, what string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (1 non-finite %s skipped)", what)
	default:
		return fmt.Sprintf(" (%d non-finite %ss skipped)", n, what)
	}
}

func compactCount(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.3gk", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.3gM", float64(n)/1e6)
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func inUnit(x float64) bool { return x >= 0 && x <= 1 }
