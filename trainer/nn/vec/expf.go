package vec

import "math"

// Expf is a float32 exponential accurate to about 2 ulp where the result is a normal float32
// (denormal results, below e^-87, are approximate), several times
// faster than math.Exp: range reduction by ln 2 and a degree-6 polynomial (the Cephes expf
// coefficients).
func Expf(x float32) float32 {
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	case x != x:
		return x
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	t := x*log2e + 0.5
	n := float32(int32(t)) // floor(t): truncation, corrected below zero
	if n > t {
		n--
	}
	r := x - n*ln2hi
	r -= n * ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	e := int32(n)
	if e < -126 {
		return y * math.Float32frombits(uint32(e+126+127)<<23) * math.Float32frombits(1<<23)
	}
	return y * math.Float32frombits(uint32(e+127)<<23)
}
