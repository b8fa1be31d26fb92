package synth

import "strconv"

// A fact is the small computable thing every question asks, so that an
// answer can be right or wrong in a checkable way. wrong is the value a
// typical mistake gives.
type fact struct {
	kind         *factKind
	expr         string // escaped for the Body attribute
	right, wrong int
}

type factKind struct {
	draw    func(r *rng) (expr string, right, wrong int)
	explain tmpl
}

var factKinds = []*factKind{
	{drawSum, compile("since it is plain left-to-right addition", htmlMode)},
	{drawPrecedence, compile("because <code>*</code> binds tighter than <code>+</code>", htmlMode)},
	{drawModulo, compile("because <code>%</code> returns the remainder, not the quotient", htmlMode)},
	{drawShift, compile("because shifting left by n doubles the value n times", htmlMode)},
	{drawHex, compile("because every hex digit counts in base sixteen", htmlMode)},
}

func newFact(r *rng) fact {
	k := pick(r, factKinds)
	expr, right, wrong := k.draw(r)
	if wrong == right {
		wrong = right + 1
	}
	return fact{kind: k, expr: attr(htmlText(expr)), right: right, wrong: wrong}
}

func drawSum(r *rng) (string, int, int) {
	a, b, c := 2+r.IntN(98), 2+r.IntN(98), 2+r.IntN(98)
	slip := 1 + r.IntN(3)
	if r.chance(0.5) {
		slip = -slip
	}
	return itoa(a) + " + " + itoa(b) + " + " + itoa(c), a + b + c, a + b + c + slip
}

func drawPrecedence(r *rng) (string, int, int) {
	a, b, c := 2+r.IntN(20), 2+r.IntN(20), 2+r.IntN(20)
	return itoa(a) + " + " + itoa(b) + " * " + itoa(c), a + b*c, (a + b) * c
}

func drawModulo(r *rng) (string, int, int) {
	a, b := 10+r.IntN(190), 3+r.IntN(10)
	return itoa(a) + " % " + itoa(b), a % b, a / b
}

func drawShift(r *rng) (string, int, int) {
	n := 2 + r.IntN(11)
	return "1 << " + itoa(n), 1 << n, 2 * n
}

func drawHex(r *rng) (string, int, int) {
	hi, lo := 1+r.IntN(15), r.IntN(16)
	return "0x" + strconv.FormatInt(int64(hi*16+lo), 16), hi*16 + lo, hi*10 + lo
}

func itoa(v int) string { return strconv.Itoa(v) }
