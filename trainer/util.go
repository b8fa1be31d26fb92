package trainer

import (
	"math"
	"strings"
)

func sqrt(x float64) float64          { return math.Sqrt(x) }
func hasSuffix(s, suffix string) bool { return strings.HasSuffix(s, suffix) }
