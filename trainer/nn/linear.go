package nn

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear writes y (rows × out) = x (rows × in) · w (in × out) + b, one block of rows per CPU.
// BLAS is called single-threaded per block (see blas_openblas.go), so both cores work without
// a second thread pool spinning beside Go's.
func Linear(y, x, w, b []float32, rows, in, out int) { AllCPUs().Linear(y, x, w, b, rows, in, out) }

// Linear is the package-level Linear on e's workers.
func (e Exec) Linear(y, x, w, b []float32, rows, in, out int) {
	if rows < 2*minRowsPerWorker && out >= 256 && e.Workers > 1 {
		e.linearByColumns(y, x, w, b, rows, in, out)
		return
	}
	e.rows(rows, func(lo, hi int) {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: hi - lo, Cols: in, Stride: in, Data: x[lo*in:]},
			blas32.General{Rows: in, Cols: out, Stride: out, Data: w},
			0, blas32.General{Rows: hi - lo, Cols: out, Stride: out, Data: y[lo*out:]})
		if b != nil {
			for r := lo; r < hi; r++ {
				row := y[r*out : (r+1)*out]
				for i := range row {
					row[i] += b[i]
				}
			}
		}
	})
}

// linearByColumns is Linear for a few rows (one token per sequence while generating): the
// work is split by blocks of output columns instead, so that every CPU has some.
func (e Exec) linearByColumns(y, x, w, b []float32, rows, in, out int) {
	workers := e.Workers
	// Blocks of whole kernel widths: every column is computed by the same kernel, in the same
	// order, however many CPUs share the work, so results do not depend on their number.
	const width = 32
	chunk := ((out+workers-1)/workers + width - 1) / width * width
	e.units(workers, func(_, u int) {
		lo, hi := u*chunk, min((u+1)*chunk, out)
		if lo >= hi {
			return
		}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: rows, Cols: in, Stride: in, Data: x},
			blas32.General{Rows: in, Cols: hi - lo, Stride: out, Data: w[lo:]},
			0, blas32.General{Rows: rows, Cols: hi - lo, Stride: out, Data: y[lo:]})
		if b != nil {
			for r := range rows {
				row := y[r*out+lo : r*out+hi]
				for i := range row {
					row[i] += b[lo+i]
				}
			}
		}
	})
}

// LinearGradInput writes dx (rows × in) = gy (rows × out) · wᵀ.
func LinearGradInput(dx, gy, w []float32, rows, in, out int) {
	parallelRows(rows, func(lo, hi int) {
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: hi - lo, Cols: out, Stride: out, Data: gy[lo*out:]},
			blas32.General{Rows: in, Cols: out, Stride: out, Data: w},
			0, blas32.General{Rows: hi - lo, Cols: in, Stride: in, Data: dx[lo*in:]})
	})
}

// LinearGradWeight writes dw (in × out) = xᵀ (in × rows) · gy (rows × out), one block of w's
// rows per CPU.
func LinearGradWeight(dw, x, gy []float32, rows, in, out int) {
	workers := runtime.GOMAXPROCS(0)
	chunk := max((in+workers-1)/workers, 1)
	if in < 2*minRowsPerWorker {
		chunk = in
	}
	parallelUnits((in+chunk-1)/chunk, func(_, u int) {
		lo, hi := u*chunk, min((u+1)*chunk, in)
		blas32.Gemm(blas.Trans, blas.NoTrans, 1,
			blas32.General{Rows: rows, Cols: hi - lo, Stride: in, Data: x[lo:]},
			blas32.General{Rows: rows, Cols: out, Stride: out, Data: gy},
			0, blas32.General{Rows: hi - lo, Cols: out, Stride: out, Data: dw[lo*out:]})
	})
}

// LinearNode is x (rows × in) · w (in × out) + b (out) as one gorgonia operation.
func LinearNode(x, w, b *G.Node) (*G.Node, error) {
	in, out := w.Shape()[0], w.Shape()[1]
	op := &kernelOp{
		name: "Linear", inDims: []int{2, 2, 1}, outDims: 2, wrt: []bool{true, true, true},
		shape: func(s []tensor.Shape) tensor.Shape { return tensor.Shape{s[0][0], s[1][1]} },
		run: func(o []float32, v [][]float32, s []tensor.Shape) {
			Linear(o, v[0], v[1], v[2], s[0][0], in, out)
		},
		grad: func(v G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dx, err := G.ApplyOp(&kernelOp{
				name: "LinearGradInput", inDims: []int{2, 2}, outDims: 2,
				shape: func(s []tensor.Shape) tensor.Shape { return tensor.Shape{s[0][0], in} },
				run: func(o []float32, v [][]float32, s []tensor.Shape) {
					LinearGradInput(o, v[0], v[1], s[0][0], in, out)
				},
			}, gy, v[1])
			if err != nil {
				return nil, err
			}
			dw, err := G.ApplyOp(&kernelOp{
				name: "LinearGradWeight", inDims: []int{2, 2}, outDims: 2,
				shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{in, out} },
				run: func(o []float32, v [][]float32, s []tensor.Shape) {
					LinearGradWeight(o, v[0], v[1], s[0][0], in, out)
				},
			}, v[0], gy)
			if err != nil {
				return nil, err
			}
			db, err := sumTiledNode(gy, 1, 1)
			if err != nil {
				return nil, err
			}
			return G.Nodes{dx, dw, db}, nil
		},
	}
	return G.ApplyOp(op, x, w, b)
}
