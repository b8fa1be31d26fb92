//go:build race

package stackexchange

// raceEnabled: the race detector makes sync.Pool drop items at random.
const raceEnabled = true
