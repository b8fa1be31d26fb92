package sevenzip

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sevenZip returns the 7z binary, or skips: the test archives are built with
// it in a temporary folder.
func sevenZip(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("7z")
	if err != nil {
		t.Skip("7z binary not on PATH (Debian: apt-get install p7zip-full); skipping")
	}
	return bin
}

// testArchive builds dir/test.7z holding data as sub/data.xml and returns
// the archive's path.
func testArchive(t *testing.T, bin string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "sub", "data.xml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "test.7z")
	cmd := exec.Command(bin, "a", "-bd", "-y", archive, "sub")
	cmd.Dir = filepath.Join(dir, "src")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z a: %v\n%s", err, out)
	}
	return archive
}

// testData is compressible but not trivially so, and spans several reads.
func testData() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < 300<<10 {
		b.WriteString("<row Id=\"")
		b.WriteString(strings.Repeat("x", rng.IntN(40)))
		b.WriteString("\" />\n")
	}
	return b.Bytes()
}

func extractAll(extract Extractor, m Member) ([]byte, error) {
	rc, err := extract(m)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if closeErr := rc.Close(); err == nil {
		err = closeErr
	}
	return data, err
}

func backends(bin string) map[string]Extractor {
	return map[string]Extractor{"in-process": InProcess, "7z binary": Binary(bin)}
}

func onlyMember(t *testing.T, archive string) Member {
	t.Helper()
	members, err := List(archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 {
		t.Fatalf("List = %+v, want only sub/data.xml (folders left out)", members)
	}
	return members[0]
}

func TestBackendsAgree(t *testing.T) {
	bin := sevenZip(t)
	data := testData()
	archive := testArchive(t, bin, data)
	m := onlyMember(t, archive)
	if m.Archive != archive || filepath.ToSlash(m.Name) != "sub/data.xml" || m.Size != int64(len(data)) || m.CRC32 != crc32.ChecksumIEEE(data) {
		t.Fatalf("member %+v, want sub/data.xml of %d bytes", m, len(data))
	}
	for name, extract := range backends(bin) {
		got, err := extractAll(extract, m)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v; want the %d bytes archived", name, len(got), err, len(data))
		}
		rc, err := extract(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rc, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Errorf("%s: closing a stream read in part: %v", name, err)
		}
	}
}

func TestTruncatedArchive(t *testing.T) {
	bin := sevenZip(t)
	archive := testArchive(t, bin, testData())
	m := onlyMember(t, archive)
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := List(archive); err == nil || !strings.Contains(err.Error(), archive) {
		t.Errorf("List of a truncated archive: %v, want an error naming it", err)
	}
	for name, extract := range backends(bin) {
		if _, err := extractAll(extract, m); err == nil || !strings.Contains(err.Error(), archive) {
			t.Errorf("%s: extracting from a truncated archive: %v, want an error naming it", name, err)
		}
	}
}

func TestChecksAtEnd(t *testing.T) {
	bin := sevenZip(t)
	archive := testArchive(t, bin, testData())
	m := onlyMember(t, archive)
	badSize, badCRC := m, m
	badSize.Size--
	badCRC.CRC32 ^= 1
	for name, extract := range backends(bin) {
		_, err := extractAll(extract, badSize)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), archive) {
			t.Errorf("%s, wrong size in header: %v, want io.ErrUnexpectedEOF naming the archive", name, err)
		}
	}
	// The 7z binary checks CRCs itself, against the real header.
	if _, err := extractAll(InProcess, badCRC); err == nil || !strings.Contains(err.Error(), "CRC-32") {
		t.Errorf("in-process, wrong CRC-32 in header: %v, want a CRC-32 mismatch", err)
	}
	missing := m
	missing.Name = "nope.xml"
	if _, err := InProcess(missing); err == nil || !strings.Contains(err.Error(), "nope.xml") {
		t.Errorf("in-process, missing member: %v, want an error naming it", err)
	}
}

func TestTailBuffer(t *testing.T) {
	tb := newTailBuffer(8)
	for i := range 100 {
		tb.Write([]byte{byte('a' + i%26)})
	}
	if got := tb.String(); got != "opqrstuv" || len(tb.buf) > 16 {
		t.Errorf("tail %q (buffer %d bytes), want the last 8 bytes", got, len(tb.buf))
	}
}
