package nn

import (
	"runtime"
	"sync"
)

// minRowsPerWorker keeps small jobs on one goroutine, where a fork would cost more than it saves.
const minRowsPerWorker = 16

// Exec runs the kernels on up to Workers goroutines. The package-level kernels use one per CPU;
// callers that already run several goroutines give each a share (sampling decodes a share of
// the sequences on each CPU, its kernels on one goroutine).
type Exec struct{ Workers int }

// AllCPUs is the Exec of the package-level kernels: one goroutine per CPU.
func AllCPUs() Exec { return Exec{Workers: runtime.GOMAXPROCS(0)} }

// parallelRows runs f over [0, n) split into contiguous chunks, one per CPU.
func parallelRows(n int, f func(lo, hi int)) { AllCPUs().rows(n, f) }

// rows runs f over [0, n) split into contiguous chunks, one per worker.
func (e Exec) rows(n int, f func(lo, hi int)) {
	workers := e.Workers
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
func parallelUnits(n int, f func(worker, i int)) { AllCPUs().units(n, f) }

// units is parallelUnits on e.Workers goroutines.
func (e Exec) units(n int, f func(worker, i int)) {
	workers := min(e.Workers, n)
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

// Parallel runs f(worker, i) for every i in [0, n) on up to e.Workers goroutines.
func (e Exec) Parallel(n int, f func(worker, i int)) { e.units(n, f) }
