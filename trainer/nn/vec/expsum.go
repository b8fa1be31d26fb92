package vec

import (
	"math"
	"unsafe"
)

// expConsts are the constants of expSum8, in the order it reads them: the argument bounds,
// Expf's range reduction and polynomial, 1, and the exponent bias (an int32).
var expConsts = [14]float32{
	88.72283, -87.33654, 1.44269504088896341, 0.5, 0.693359375, -2.12194440e-4,
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
	1, math.Float32frombits(127),
}

// ExpSum sets dst[i] = exp(src[i]*scale - shift), as Expf computes it to a few ulp, and returns
// their sum; with dst nil it returns the sum alone. With AVX2 and FMA, eight at a time, and
// each element's value does not depend on where src starts or ends.
// Arguments below -87.3 give e^-87.3 (about 1e-38) rather than a denormal or 0.
func ExpSum(dst, src []float32, scale, shift float32) float64 {
	if dst != nil && len(dst) < len(src) {
		panic("vec: ExpSum: dst shorter than src")
	}
	var sum float64
	head := 0
	if HasFMA {
		head = len(src) &^ 7
		if head > 0 {
			var d *float32
			if dst != nil {
				d = unsafe.SliceData(dst)
			}
			sum = float64(expSum8(d, unsafe.SliceData(src), head, scale, shift, &expConsts[0]))
		}
		// The last few through the same kernel, padded: every element is computed the same
		// way wherever a caller cuts src (GELU splits its rows over the CPUs).
		if tail := len(src) - head; tail > 0 {
			var in, out [8]float32
			copy(in[:], src[head:])
			expSum8(&out[0], &in[0], 8, scale, shift, &expConsts[0])
			for i, e := range out[:tail] {
				if dst != nil {
					dst[head+i] = e
				}
				sum += float64(e)
			}
		}
		return sum
	}
	for i := head; i < len(src); i++ {
		e := Expf(max(src[i]*scale-shift, -87.33654))
		if dst != nil {
			dst[i] = e
		}
		sum += float64(e)
	}
	return sum
}
