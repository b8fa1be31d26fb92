// Package leakcheck lets a test check that the goroutines a piece of code started have ended.
package leakcheck

import (
	"runtime"
	"testing"
	"time"
)

// settle is how long goroutines get to end after the code under test has been stopped.
const settle = 5 * time.Second

// Goroutines notes how many goroutines run now; the function it returns fails t if more run
// once they have had time to end. Use: defer leakcheck.Goroutines(t)(), or call the result
// after stopping what the test started.
func Goroutines(t testing.TB) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(settle)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after stopping, %d before", n, before)
		}
	}
}
