package linalg

import (
	"fmt"
	"math"
)

// Axpy sets y[i] += alpha·x[i] for i < len(x) (BLAS saxpy); y must be at
// least as long as x.
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic("linalg: Axpy with y shorter than x")
	}
	axpy(alpha, x, y[:len(x)], true)
}

// axpyGo is the portable Axpy.
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// AdamConsts are the constants of one Adam step: the decay rates, the bias
// corrections c1 = 1 − b1ᵗ and c2 = 1 − b2ᵗ, the learning rate and ε.
type AdamConsts struct {
	B1, OneMinusB1, B2, OneMinusB2, C1, C2, LR, Eps float32
}

// NewAdamConsts returns the constants of step t (from 1) of Adam with decay
// rates b1, b2, learning rate lr and ε.
func NewAdamConsts(b1, b2, lr, eps float64, t int) AdamConsts {
	return AdamConsts{B1: float32(b1), OneMinusB1: float32(1 - b1), B2: float32(b2), OneMinusB2: float32(1 - b2),
		C1: float32(1 - math.Pow(b1, float64(t))), C2: float32(1 - math.Pow(b2, float64(t))), LR: float32(lr), Eps: float32(eps)}
}

// Adam applies one Adam step to parameters p with gradient g and moments m1,
// m2 (updated in place), 16 values per instruction with AVX-512:
//
//	m1 = b1·m1 + (1−b1)·g;  m2 = b2·m2 + (1−b2)·g·g;  p −= lr·(m1/c1) / (√(m2/c2) + ε)
func Adam(p, g, m1, m2 []float32, c *AdamConsts) {
	n := len(p)
	adam(p, g[:n], m1[:n], m2[:n], c, true)
}

// adamGo is the portable Adam.
func adamGo(p, g, m1, m2 []float32, c *AdamConsts) {
	for i := range p {
		m1[i] = c.B1*m1[i] + c.OneMinusB1*g[i]
		m2[i] = c.B2*m2[i] + c.OneMinusB2*g[i]*g[i]
		p[i] -= c.LR * (m1[i] / c.C1) / (float32(math.Sqrt(float64(m2[i]/c.C2))) + c.Eps)
	}
}

// gatherAhead is how many rows ahead GatherRows asks for the rows it will
// copy: enough misses in flight to cover a memory latency.
const gatherAhead = 8

// GatherRows copies row idx[k] of src to row k of dst for k < dst.Rows,
// asking the memory for the row gatherAhead positions ahead of the one it
// copies (a prefetch hint where the CPU has one), so that rows scattered over
// a matrix larger than the caches arrive with many misses in flight instead
// of one at a time. idx may run past dst.Rows: the rows after are only
// prefetched — a caller gathering batch after batch passes the rest of its
// order, and the next batch's first rows are on their way.
func GatherRows(dst, src Matrix, idx []int) {
	if dst.Cols != src.Cols || len(idx) < dst.Rows {
		panic(fmt.Sprintf("linalg: GatherRows of %d rows of %d columns into %d×%d", len(idx), src.Cols, dst.Rows, dst.Cols))
	}
	if src.Cols == 0 {
		return
	}
	for _, i := range idx[:min(gatherAhead, len(idx))] {
		prefetch(&src.Data[i*src.Stride], src.Cols)
	}
	for k, i := range idx[:dst.Rows] {
		if a := k + gatherAhead; a < len(idx) {
			prefetch(&src.Data[idx[a]*src.Stride], src.Cols)
		}
		copy(dst.Row(k), src.Row(i))
	}
}
