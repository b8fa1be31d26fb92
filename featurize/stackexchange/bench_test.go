package stackexchange

import (
	"strconv"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// BenchmarkPairs is a busy thread: 30 answers of about 600 bytes with distinct-ish scores.
func BenchmarkPairs(b *testing.B) {
	answers := make([]schemas.Document, 30)
	for i := range answers {
		answers[i] = answerDoc(strconv.Itoa(100+i), int64(i*i%37))
		answers[i].Text = `<p>Use <code>sort.Slice</code> with a closure &mdash; see <a href="https://pkg.go.dev/sort">the docs</a>.</p>` +
			"<pre><code>sort.Slice(xs, func(i, j int) bool {\n\treturn xs[i] &lt; xs[j]\n})\n</code></pre>" +
			`<ul><li>stable? use <code>sort.SliceStable</code></li><li>generic: <code>slices.SortFunc</code></li></ul>` +
			`<p>It runs in O(n log n) and allocates nothing beyond the closure.</p>`
	}
	q := question("1", "105")
	b.ReportAllocs()
	for b.Loop() {
		Pairs(q, answers, Options{})
	}
}
