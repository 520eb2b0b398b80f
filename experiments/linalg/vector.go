package linalg

import "math"

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
