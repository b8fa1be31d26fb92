//go:build !noasm

package nn

import "golang.org/x/sys/cpu"

var hasExpSum8 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func expSum8(dst, src *float32, n int, scale, shift float32, consts *float32) float32
