package trainer

import (
	"bytes"
	"github.com/prefstream/prefstream/trainer/tokenizer"
	"io"
	"math"
	"strings"
)

func sqrt(x float64) float64          { return math.Sqrt(x) }
func hasSuffix(s, suffix string) bool { return strings.HasSuffix(s, suffix) }

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func nan() float64 { return math.NaN() }

const tokenizerPad = tokenizer.Pad
