//go:build !race

package stackexchange

const raceEnabled = false
