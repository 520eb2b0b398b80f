package linalg

import "math/rand/v2"

// Shape is a benchmark multiply: op(A) M×K times op(B) K×N.
type Shape struct {
	Name    string
	M, K, N int
	TA, TB  Op
}

// BenchShapes returns the multiplies of RBM training that `kadanoff bench
// gemm` and the go test benchmarks measure: a 1024→256 RBM's forward pass on a
// batch of 100, the transposed shapes of its gradient, a 4096→1024 layer on a
// batch of 500, and a square 1024³.
func BenchShapes() []Shape {
	return []Shape{
		{Name: "100x1024x256", M: 100, K: 1024, N: 256},
		{Name: "1024x100x256 (AᵀB)", M: 1024, K: 100, N: 256, TA: Trans},
		{Name: "100x256x1024 (ABᵀ)", M: 100, K: 256, N: 1024, TB: Trans},
		{Name: "100x4096x1024", M: 100, K: 4096, N: 1024},
		{Name: "4096x100x1024 (AᵀB)", M: 4096, K: 100, N: 1024, TA: Trans},
		{Name: "100x1024x4096 (ABᵀ)", M: 100, K: 1024, N: 4096, TB: Trans},
		{Name: "500x4096x1024", M: 500, K: 4096, N: 1024},
		{Name: "1024x1024x1024", M: 1024, K: 1024, N: 1024},
	}
}

// Operands returns random operands and a C for s.
func (s Shape) Operands(r *rand.Rand) (a, b, c Matrix) {
	fill := func(rows, cols int) Matrix {
		m := NewMatrix(rows, cols)
		for i := range m.Data {
			m.Data[i] = float32(r.Float64()*2 - 1)
		}
		return m
	}
	if s.TA {
		a = fill(s.K, s.M)
	} else {
		a = fill(s.M, s.K)
	}
	if s.TB {
		b = fill(s.N, s.K)
	} else {
		b = fill(s.K, s.N)
	}
	return a, b, NewMatrix(s.M, s.N)
}
