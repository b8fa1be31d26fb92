// Package calibration scores a preference model from its per-pair reward margins
// (margin = r_chosen - r_rejected): pairwise accuracy, Bradley-Terry loss, expected calibration
// error (ECE) with its reliability bins, and a bounded histogram of the margins.
//
// # Model probability
//
// The model's probability that the chosen response wins is p = sigmoid(margin).
//
// # Accuracy and ties
//
// A pair is correct when margin > 0, wrong when margin < 0, and a tie (margin == 0, also -0)
// counts as half correct: a model that cannot separate two responses is scored like a coin flip,
// neither rewarded nor punished for the tie.
//
// # Loss
//
// Loss is the mean Bradley-Terry negative log-likelihood -log sigmoid(margin) = log(1+exp(-margin)),
// computed as a numerically stable softplus so that large margins of either sign neither overflow
// nor lose precision.
//
// # Binning convention (top-label calibration)
//
// In the lake every pair is stored chosen-first, so the observed outcome "chosen won" is always 1
// and binning p = sigmoid(margin) against it would be degenerate: a model that always outputs
// p = 0.99 would look perfect. Calibration is therefore measured on the model's own prediction,
// whichever side it favours (the standard top-label/confidence calibration of a binary classifier):
//
//   - confidence = max(p, 1-p) = sigmoid(|margin|), in [0.5, 1];
//   - correctness = 1 if margin > 0, 0 if margin < 0, 1/2 for a tie.
//
// Confidences fall into equal-width bins over [0.5, 1]; bin i covers [Lo, Hi) and the last bin
// also holds confidence 1 exactly (a saturated sigmoid). For each bin the reliability diagram plots
// Accuracy (mean correctness) against MeanConfidence (mean confidence), and
//
//	ECE = sum over bins of (Count/Pairs) * |Accuracy - MeanConfidence|.
//
// A perfectly calibrated model, one whose pairs of confidence c are right a fraction c of the time,
// has ECE near 0; an over-confident one has Accuracy below MeanConfidence in its upper bins.
//
// # Non-finite margins
//
// NaN and ±Inf margins are a model bug, not a prediction: they are counted in NonFinite, kept out of
// every sum and of Pairs, and reported so that the caller can fail or warn.
//
// Summarize handles a slice in memory; an Accumulator does the same in constant memory over a
// stream of any length and can merge with others fed in parallel.
package calibration

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

const (
	// DefaultBins is the number of confidence bins used when none is given.
	DefaultBins = 10
	// MaxBins bounds the number of confidence bins (and of margin histogram buckets).
	MaxBins = 10000
	// DefaultMarginRange is the half-width of the default margin histogram, [-8, 8]:
	// sigmoid(8) ≈ 0.9997, so wider margins are all but saturated.
	DefaultMarginRange = 8.0
	// DefaultMarginBuckets is the number of buckets of the default margin histogram.
	DefaultMarginBuckets = 64
)

// Bin is one confidence bin of a reliability diagram. A bin with Count == 0 has MeanConfidence and
// Accuracy 0: they are undefined, so check Count before using them.
type Bin struct {
	Lo, Hi         float64 // confidence range [Lo, Hi), within [0.5, 1]
	Count          int     // pairs whose confidence fell in the bin
	MeanConfidence float64 // mean of max(p, 1-p) over those pairs
	Accuracy       float64 // mean correctness (tie = 1/2) over those pairs
}

// Summary is the evaluation of a set of margins. With Pairs == 0 the metrics are all 0: they are
// undefined, so check Pairs.
type Summary struct {
	Pairs     int     // finite margins scored
	NonFinite int     // NaN or ±Inf margins, left out of everything else
	Accuracy  float64 // fraction with margin > 0, ties counting 1/2
	Loss      float64 // mean log(1+exp(-margin))
	ECE       float64 // expected calibration error over Bins
	Bins      []Bin   // equal-width confidence bins over [0.5, 1]
	Margins   Histogram
}

// String renders the headline numbers on one line.
func (s Summary) String() string {
	out := fmt.Sprintf("pairs=%d accuracy=%.4f loss=%.4f ece=%.4f", s.Pairs, s.Accuracy, s.Loss, s.ECE)
	if s.NonFinite > 0 {
		out += fmt.Sprintf(" non_finite=%d", s.NonFinite)
	}
	return out
}

// Summarize scores margins (r_chosen - r_rejected, float32 or float64) with the given number of
// confidence bins (bins <= 0 means DefaultBins, more than MaxBins means MaxBins) and the default
// margin histogram. See the package comment for the conventions.
func Summarize[F ~float32 | ~float64](margins []F, bins int) Summary {
	a := &Accumulator{
		bins:    make([]binSum, clampBins(bins)),
		margins: &Histogram{Lo: -DefaultMarginRange, Hi: DefaultMarginRange, Counts: make([]int, DefaultMarginBuckets)},
	}
	for _, m := range margins {
		a.Add(float64(m))
	}
	return a.Summary()
}

func clampBins(bins int) int {
	if bins <= 0 {
		return DefaultBins
	}
	return min(bins, MaxBins)
}

// Config sets up an Accumulator. Zero fields take defaults.
type Config struct {
	Bins int // confidence bins over [0.5, 1]; 0 means DefaultBins

	// The margin histogram covers [MarginLo, MarginHi) with MarginBuckets equal buckets; both
	// bounds 0 means ±DefaultMarginRange, MarginBuckets 0 means DefaultMarginBuckets.
	MarginLo, MarginHi float64
	MarginBuckets      int
}

// Accumulator computes a Summary over a stream of margins in memory fixed by its Config. The zero
// value is not usable: call NewAccumulator. It is not safe for concurrent use; give each worker its
// own and Merge them.
type Accumulator struct {
	pairs     int
	nonFinite int
	correct   float64 // sum of correctness
	loss      float64 // sum of softplus(-margin)
	bins      []binSum
	margins   *Histogram
}

type binSum struct {
	count   int
	conf    float64
	correct float64
}

// NewAccumulator returns an empty Accumulator, or an error for a negative or too large bin count or
// a bad histogram range.
func NewAccumulator(cfg Config) (*Accumulator, error) {
	if cfg.Bins < 0 || cfg.Bins > MaxBins {
		return nil, fmt.Errorf("calibration: bins %d out of range [0, %d]", cfg.Bins, MaxBins)
	}
	if cfg.Bins == 0 {
		cfg.Bins = DefaultBins
	}
	if cfg.MarginLo == 0 && cfg.MarginHi == 0 {
		cfg.MarginLo, cfg.MarginHi = -DefaultMarginRange, DefaultMarginRange
	}
	if cfg.MarginBuckets == 0 {
		cfg.MarginBuckets = DefaultMarginBuckets
	}
	h, err := NewHistogram(cfg.MarginLo, cfg.MarginHi, cfg.MarginBuckets)
	if err != nil {
		return nil, fmt.Errorf("calibration: margin histogram: %w", err)
	}
	return &Accumulator{bins: make([]binSum, cfg.Bins), margins: h}, nil
}

// Add scores one margin. Non-finite margins are only counted (see the package comment).
func (a *Accumulator) Add(margin float64) {
	a.margins.Add(margin)
	if math.IsNaN(margin) || math.IsInf(margin, 0) {
		a.nonFinite++
		return
	}
	c := correctness(margin)
	conf := Sigmoid(math.Abs(margin))
	a.pairs++
	a.correct += c
	a.loss += Softplus(-margin)
	b := &a.bins[binIndex(conf, len(a.bins))]
	b.count++
	b.conf += conf
	b.correct += c
}

// ErrMismatch is returned by Merge for accumulators with different configurations.
var ErrMismatch = errors.New("calibration: accumulators have different bins or histogram ranges")

// Merge adds everything o has seen into a. Both must come from equal Configs.
func (a *Accumulator) Merge(o *Accumulator) error {
	if len(a.bins) != len(o.bins) || !a.margins.sameShape(o.margins) {
		return ErrMismatch
	}
	a.pairs += o.pairs
	a.nonFinite += o.nonFinite
	a.correct += o.correct
	a.loss += o.loss
	for i, b := range o.bins {
		a.bins[i].count += b.count
		a.bins[i].conf += b.conf
		a.bins[i].correct += b.correct
	}
	a.margins.merge(o.margins)
	return nil
}

// Summary returns the metrics of everything added so far; the Accumulator stays usable.
func (a *Accumulator) Summary() Summary {
	s := Summary{
		Pairs:     a.pairs,
		NonFinite: a.nonFinite,
		Bins:      make([]Bin, len(a.bins)),
		Margins:   a.margins.Clone(),
	}
	width := 0.5 / float64(len(a.bins))
	for i, b := range a.bins {
		bin := Bin{Lo: 0.5 + float64(i)*width, Hi: 0.5 + float64(i+1)*width, Count: b.count}
		if i == len(a.bins)-1 {
			bin.Hi = 1
		}
		if b.count > 0 {
			bin.MeanConfidence = b.conf / float64(b.count)
			bin.Accuracy = b.correct / float64(b.count)
		}
		s.Bins[i] = bin
	}
	if a.pairs > 0 {
		s.Accuracy = a.correct / float64(a.pairs)
		s.Loss = a.loss / float64(a.pairs)
		s.ECE = ECE(s.Bins)
	}
	return s
}

// ECE is the expected calibration error of bins: the count-weighted mean of
// |Accuracy - MeanConfidence|. It is 0 for bins holding no pairs.
func ECE(bins []Bin) float64 {
	total := 0
	for _, b := range bins {
		total += b.Count
	}
	if total == 0 {
		return 0
	}
	ece := 0.0
	for _, b := range bins {
		if b.Count > 0 {
			ece += float64(b.Count) / float64(total) * math.Abs(b.Accuracy-b.MeanConfidence)
		}
	}
	return ece
}

// Sigmoid is 1/(1+exp(-x)), without overflow for large |x|.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus is log(1+exp(x)), without overflow for large x nor loss of precision for very negative x.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func correctness(margin float64) float64 {
	switch {
	case margin > 0:
		return 1
	case margin < 0:
		return 0
	default:
		return 0.5
	}
}

// binIndex places a confidence in [0.5, 1] into one of n equal bins; 1 goes into the last.
func binIndex(conf float64, n int) int {
	i := int((conf - 0.5) * 2 * float64(n))
	return max(0, min(i, n-1))
}

// Histogram counts values into equal-width buckets over [Lo, Hi), with the values below Lo
// (including -Inf) in Under, those at or above Hi (including +Inf) in Over, and NaNs in NaN. Its
// memory is fixed by the bucket count, so it suits a stream of any length: use one for the margins
// (an Accumulator keeps one), or one each for chosen and rejected scores.
type Histogram struct {
	Lo, Hi           float64
	Counts           []int
	Under, Over, NaN int
}

// NewHistogram returns an empty histogram of buckets equal buckets over [lo, hi).
func NewHistogram(lo, hi float64, buckets int) (*Histogram, error) {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo >= hi {
		return nil, fmt.Errorf("calibration: histogram range [%v, %v) is not a finite, non-empty interval", lo, hi)
	}
	if buckets < 1 || buckets > MaxBins {
		return nil, fmt.Errorf("calibration: histogram buckets %d out of range [1, %d]", buckets, MaxBins)
	}
	if (hi-lo)/float64(buckets) == 0 || math.IsInf(hi-lo, 0) {
		return nil, fmt.Errorf("calibration: histogram range [%v, %v) too narrow or too wide for %d buckets", lo, hi, buckets)
	}
	return &Histogram{Lo: lo, Hi: hi, Counts: make([]int, buckets)}, nil
}

// Add counts one value.
func (h *Histogram) Add(x float64) {
	switch {
	case math.IsNaN(x):
		h.NaN++
	case x < h.Lo:
		h.Under++
	case x >= h.Hi:
		h.Over++
	default:
		n := len(h.Counts)
		i := int((x - h.Lo) / (h.Hi - h.Lo) * float64(n))
		h.Counts[max(0, min(i, n-1))]++
	}
}

// Edges returns the len(Counts)+1 bucket boundaries, Lo first and Hi last.
func (h *Histogram) Edges() []float64 {
	n := len(h.Counts)
	edges := make([]float64, n+1)
	for i := range edges {
		edges[i] = h.Lo + (h.Hi-h.Lo)*float64(i)/float64(n)
	}
	edges[n] = h.Hi
	return edges
}

// Total is the number of values added, NaNs included.
func (h *Histogram) Total() int {
	t := h.Under + h.Over + h.NaN
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Clone returns an independent copy.
func (h *Histogram) Clone() Histogram {
	c := *h
	c.Counts = slices.Clone(h.Counts)
	return c
}

func (h *Histogram) sameShape(o *Histogram) bool {
	return h.Lo == o.Lo && h.Hi == o.Hi && len(h.Counts) == len(o.Counts)
}

// Merge adds o's counts into h; both must have the same range and bucket count.
func (h *Histogram) Merge(o *Histogram) error {
	if !h.sameShape(o) {
		return fmt.Errorf("calibration: cannot merge histogram [%v, %v)x%d into [%v, %v)x%d",
			o.Lo, o.Hi, len(o.Counts), h.Lo, h.Hi, len(h.Counts))
	}
	h.merge(o)
	return nil
}

func (h *Histogram) merge(o *Histogram) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Under += o.Under
	h.Over += o.Over
	h.NaN += o.NaN
}
