package correlator

import (
	"fmt"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// hiddenChunk is how many samples one float32 product sums before the
// partial sums are added up in float64.
const hiddenChunk = 2048

// HiddenVisible returns the hidden–visible correlators of n samples,
//
//	C[a][i] = ⟨v_i h_a⟩ − ⟨v_i⟩⟨h_a⟩,
//
// as an H×N row-major slice (row a is hidden unit a's panel over the N
// visible sites). v holds n samples of N visible values and h n samples of H
// hidden values, sample after sample. The data are centred in float64 and
// multiplied on the float32 GEMM in chunks of samples whose sums are added in
// float64, so the result does not depend on g's thread count.
func HiddenVisible(g *linalg.Gemm, v []float32, N int, h []float32, H int) ([]float64, error) {
	if N < 1 || H < 1 || len(v)%N != 0 || len(h)%H != 0 {
		return nil, fmt.Errorf("correlator: %d visible values in rows of %d, %d hidden in rows of %d", len(v), N, len(h), H)
	}
	n := len(v) / N
	if len(h)/H != n {
		return nil, fmt.Errorf("correlator: %d visible samples but %d hidden", n, len(h)/H)
	}
	if n < 2 {
		return nil, fmt.Errorf("correlator: %d samples, need at least 2", n)
	}
	mv, mh := columnMeans(v, n, N), columnMeans(h, n, H)
	c := make([]float64, H*N)
	part := linalg.NewMatrix(H, N)
	for s0 := 0; s0 < n; s0 += hiddenChunk {
		m := min(hiddenChunk, n-s0)
		vc, hc := centred(v[s0*N:(s0+m)*N], mv, m, N), centred(h[s0*H:(s0+m)*H], mh, m, H)
		g.Mul(linalg.Trans, linalg.NoTrans, 1, hc, vc, 0, part)
		for i, x := range part.Data {
			c[i] += float64(x)
		}
	}
	for i := range c {
		c[i] /= float64(n)
	}
	return c, nil
}

func columnMeans(x []float32, n, cols int) []float64 {
	m := make([]float64, cols)
	for s := 0; s < n; s++ {
		for j, v := range x[s*cols : (s+1)*cols] {
			m[j] += float64(v)
		}
	}
	for j := range m {
		m[j] /= float64(n)
	}
	return m
}

func centred(x []float32, mean []float64, rows, cols int) linalg.Matrix {
	out := linalg.NewMatrix(rows, cols)
	for s := 0; s < rows; s++ {
		for j, v := range x[s*cols : (s+1)*cols] {
			out.Data[s*cols+j] = float32(float64(v) - mean[j])
		}
	}
	return out
}
