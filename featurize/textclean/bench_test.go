package textclean

import (
	"strings"
	"testing"
)

// sampleBody is a typical Stack Exchange answer body of about 1 KB.
const sampleBody = `<p>You can't do that with <code>json.loads</code> directly, because the file isn&#39;t valid JSON &mdash; it's one object per line (<a href="https://jsonlines.org/" rel="nofollow noreferrer">JSON Lines</a>). Read it line by line instead:</p>

<pre class="lang-py prettyprint-override"><code>import json

with open(&quot;data.jsonl&quot;) as f:
    records = [json.loads(line) for line in f if line.strip()]
print(len(records), &quot;records&quot;)
</code></pre>

<p>A few things to note:</p>

<ul>
<li>Blank lines are skipped by <code>if line.strip()</code>.</li>
<li>For large files, iterate instead of building a list &amp; keep memory flat.</li>
<li>If a line is broken you get a <code>JSONDecodeError</code>; see <a href="https://docs.python.org/3/library/json.html#json.JSONDecodeError" rel="nofollow noreferrer">the docs</a>.</li>
</ul>

<blockquote>
<p><strong>Note:</strong> pandas can do this too: <code>pd.read_json(path, lines=True)</code>.</p>
</blockquote>

<p>See also <a href="https://stackoverflow.com/questions/12451431/loading-and-parsing-a-json-file-with-multiple-json-objects">this question</a> &hellip; <img src="https://i.sstatic.net/abc.png" alt="screenshot of output"></p>
`

func BenchmarkHTMLToText(b *testing.B) {
	b.SetBytes(int64(len(sampleBody)))
	b.ReportAllocs()
	for b.Loop() {
		HTMLToText(sampleBody)
	}
}

func BenchmarkAppendHTMLText(b *testing.B) {
	b.SetBytes(int64(len(sampleBody)))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = AppendHTMLText(buf[:0], sampleBody)
	}
}

// BenchmarkProse is text-heavy markup: paragraphs with inline tags and entities.
func BenchmarkProse(b *testing.B) {
	body := strings.Repeat(`<p>The quick brown fox <em>jumps</em> over the lazy dog &amp; keeps running, `+
		`because <code>speed</code> matters more than style in this race.</p>`+"\n", 8)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = AppendHTMLText(buf[:0], body)
	}
}
