//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package lake

import "os"

// lockFile is a no-op where flock is unavailable: one writer per partition is then up to the caller.
func lockFile(*os.File) error { return nil }
