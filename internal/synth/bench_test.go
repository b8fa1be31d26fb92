package synth

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSevenZip(t *testing.T) {
	if _, err := exec.LookPath("7z"); err != nil {
		t.Skip("7z not on PATH")
	}
	dir := t.TempDir()
	o := smallOptions(50)
	o.SevenZip = true
	st, err := StackExchange(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, DefaultSite+".7z")
	if len(st.Files) != 3 || st.Files[2] != archive {
		t.Fatalf("Files = %v", st.Files)
	}
	out, err := exec.Command("7z", "l", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("7z l: %v\n%s", err, out)
	}
	for _, name := range []string{"Posts.xml", "Votes.xml"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("archive lacks %s:\n%s", name, out)
		}
	}
}

// BenchmarkStackExchange measures Posts.xml throughput; each iteration
// writes a 32 MB dump.
func BenchmarkStackExchange(b *testing.B) {
	o := DefaultOptions()
	o.TargetBytes = 32 << 20
	dir := b.TempDir()
	var written int64
	for b.Loop() {
		st, err := StackExchange(dir, o)
		if err != nil {
			b.Fatal(err)
		}
		written = st.PostsBytes
	}
	b.SetBytes(written)
}
