//go:build !unix

package wikipedia

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

func killedBySignal(*exec.Cmd) bool { return false }
