package wikipedia

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// genReader produces an export on the fly, so that the test's input does
// not count in the heap it measures.
type genReader struct {
	next func(b *bytes.Buffer) bool // writes the next piece; false at the end
	buf  bytes.Buffer
	done bool
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.buf.Len() == 0 {
		if g.done {
			return 0, io.EOF
		}
		g.done = !g.next(&g.buf)
	}
	return g.buf.Read(p)
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

const pageHead = `<mediawiki version="0.11"><page><title>Big</title><ns>0</ns><id>1</id>`
const pageTail = `</page></mediawiki>`

func TestPageOf100000RevisionsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow in -short mode")
	}
	const revisions = 100_000
	i := -1
	in := &genReader{next: func(b *bytes.Buffer) bool {
		switch i++; {
		case i == 0:
			b.WriteString(pageHead)
		case i <= revisions:
			fmt.Fprintf(b, `<revision><id>%d</id><parentid>%d</parentid><timestamp>2020-01-01T00:00:00Z</timestamp>`+
				`<contributor><ip>10.0.0.1</ip></contributor><comment>c &amp; d</comment><model>wikitext</model>`+
				`<format>text/x-wiki</format><text bytes="5" xml:space="preserve">v %d</text><sha1/></revision>`, i, i-1, i%10)
		default:
			b.WriteString(pageTail)
			return false
		}
		return true
	}}
	r := NewReader(in, "big.xml")
	if _, err := r.NextPage(); err != nil {
		t.Fatal(err)
	}
	var early uint64
	for n := 1; ; n++ {
		rev, err := r.NextRevision()
		if err == io.EOF {
			if n-1 != revisions {
				t.Fatalf("%d revisions, want %d", n-1, revisions)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rev.ID != int64(n) || rev.Text != fmt.Sprintf("v %d", n%10) || rev.SHA1 != SHA1Base36(rev.Text) {
			t.Fatalf("revision %d: %+v", n, rev)
		}
		if n == 10_000 {
			early = heapInuse()
		}
	}
	if late := heapInuse(); late > early+2<<20 {
		t.Errorf("heap grew from %d to %d bytes between revision 10,000 and 100,000", early, late)
	}
	if _, err := r.NextPage(); err != io.EOF {
		t.Errorf("after the page: %v, want io.EOF", err)
	}
}

func TestRevisionOf50MBInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow in -short mode")
	}
	const chunk = "'''Bold''' &lt;ref&gt;x&lt;/ref&gt; text &amp; more &quot;q&quot; Ünï\n\n"
	decoded := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`).Replace(chunk)
	step := 1024 * len(decoded)
	size := (50<<20 + step - 1) / step * step // 50 MB, rounded up to whole steps
	for _, hint := range []bool{true, false} {
		t.Run(fmt.Sprintf("bytes attribute %v", hint), func(t *testing.T) {
			written, i := 0, 0
			in := &genReader{next: func(b *bytes.Buffer) bool {
				switch i++; {
				case i == 1:
					b.WriteString(pageHead + `<revision><id>1</id><timestamp>2020-01-01T00:00:00Z</timestamp><contributor><username>U</username><id>1</id></contributor>`)
					if hint {
						fmt.Fprintf(b, `<text bytes="%d" xml:space="preserve">`, size)
					} else {
						b.WriteString(`<text xml:space="preserve">`)
					}
				case written < size:
					for range 1024 {
						b.WriteString(chunk)
					}
					written += step
				case written == size:
					b.WriteString(`</text><sha1/></revision>` + pageTail)
					written++
				default:
					return false
				}
				return true
			}}
			r := NewReader(in, "huge.xml")
			if _, err := r.NextPage(); err != nil {
				t.Fatal(err)
			}
			before, allocBefore := heapInuse(), totalAlloc()
			rev, err := r.NextRevision()
			if err != nil {
				t.Fatal(err)
			}
			allocated := totalAlloc() - allocBefore
			if len(rev.Text) != size || rev.Text[:len(decoded)] != decoded || rev.Text[size-len(decoded):] != decoded {
				t.Fatalf("text of %d bytes, want %d", len(rev.Text), size)
			}
			limit := uint64(size + size/8 + 4<<20) // the text, allocated once
			if !hint {
				limit = uint64(3*size + 8<<20) // grown by doubling: 64+32+16+... MB
			}
			if allocated > limit {
				t.Errorf("reading the revision allocated %d MB, want at most %d MB", allocated>>20, limit>>20)
			}
			if held := heapInuse() - before; held > uint64(size+size/8+4<<20) {
				t.Errorf("holding the revision takes %d MB", held>>20)
			}
			rev = Revision{}
			if _, err := r.NextRevision(); err != io.EOF {
				t.Fatalf("after the revision: %v", err)
			}
			if after := heapInuse(); after > before+4<<20 {
				t.Errorf("heap after dropping the revision: %d MB, before it %d MB", after>>20, before>>20)
			}
		})
	}
}
