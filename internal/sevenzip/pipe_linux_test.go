package sevenzip

import (
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBinaryPipeIsWide: the pipe from 7z has the larger buffer, and the stream is unchanged.
func TestBinaryPipeIsWide(t *testing.T) {
	bin := sevenZip(t)
	data := testData()
	m := onlyMember(t, testArchive(t, bin, data))
	rc, err := Binary(bin)(m)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	size, err := unix.FcntlInt(rc.(*commandStream).out.(*os.File).Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if size < pipeBytes {
		t.Errorf("the pipe holds %d bytes, want %d", size, pipeBytes)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
		t.Errorf("%d bytes, %v; want the %d bytes archived", len(got), err, len(data))
	}
}
