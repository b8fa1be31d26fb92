package textclean

import (
	"strings"
	"testing"
	"time"
)

// TestLinearTime feeds long runs of unclosed markup, which a naive scanner handles in
// quadratic time (each '<' searching to the end of the input for its '>').
func TestLinearTime(t *testing.T) {
	units := []string{"<!", "<a", "</a", "<a x='", `<a x="'`, "<?", "</ ", "&#1", "&amp", "<ul><li>",
		"<a href=u>x", "<pre>", "<!--x", "<script>", "<code>`", "<pre>```"}
	for _, unit := range units {
		for _, tail := range []string{"", ">"} {
			in := strings.Repeat(unit, 100000) + tail
			start := time.Now()
			HTMLToText(in)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%d× %q%s took %v", 100000, unit, tail, d)
			}
		}
	}
}
