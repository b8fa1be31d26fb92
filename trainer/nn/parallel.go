package nn

import (
	"runtime"
	"sync"
)

// minRowsPerWorker keeps small jobs on one goroutine, where a fork would cost more than it saves.
const minRowsPerWorker = 16

// parallelRows runs f over [0, n) split into contiguous chunks, one per CPU.
func parallelRows(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if w := n / minRowsPerWorker; w < workers {
		workers = w
	}
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// parallelUnits runs f(i) for every i in [0, n) on one goroutine per CPU, each taking the next
// unit as it finishes one (units may differ in cost, as causal attention rows do).
func parallelUnits(n int, f func(worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// Workers is how many goroutines the parallel helpers use at most.
func Workers() int { return runtime.GOMAXPROCS(0) }

// Parallel runs f(worker, i) for every i in [0, n), spread over Workers() goroutines; worker
// indexes per-goroutine scratch space.
func Parallel(n int, f func(worker, i int)) { parallelUnits(n, f) }
