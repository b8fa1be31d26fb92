package sevenzip

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pipeBytes is the buffer asked for the pipe from 7z: Linux's default limit for an
// unprivileged process (/proc/sys/fs/pipe-max-size), against the usual 64 KiB.
const pipeBytes = 1 << 20

// widenPipe enlarges the pipe from 7z so that 7z and the reader run side by side instead of
// taking turns every 64 KiB. It is best effort: a refusal leaves the pipe as it was.
func widenPipe(r io.Reader) {
	if f, ok := r.(*os.File); ok {
		_, _ = unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, pipeBytes)
	}
}
