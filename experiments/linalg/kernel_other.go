//go:build !amd64

package linalg

func hasAVX2() bool       { return false }
func hasAVX512() bool     { return false }
func hasAVX512BF16() bool { return false }

func kernelAVX512Half(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	panic("linalg: no AVX-512 kernel on this architecture")
}

func kernelAVX512Short(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	panic("linalg: no AVX-512 kernel on this architecture")
}

func kernelAVX512BF16(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	panic("linalg: no AVX-512 BF16 kernel on this architecture")
}

func kernelAVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	panic("linalg: no AVX2 kernel on this architecture")
}

func kernelAVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	panic("linalg: no AVX-512 kernel on this architecture")
}

func sigmoidScaled(dst, src []float32, scale float32, vector bool) {
	sigmoidGo(dst[:len(src)], src, scale)
}

func axpy(alpha float32, x, y []float32, vector bool) { axpyGo(alpha, x, y) }

func bernoulli(dst, p []float32, r *Rand, low float32, vector bool) { bernoulliGo(dst, p, r, low) }

func exp(dst, src []float32, vector bool) {
	for i, v := range src {
		dst[i] = expf(v)
	}
}

func adam(p, g, m1, m2 []float32, c *AdamConsts, vector bool) { adamGo(p, g, m1, m2, c) }

func transpose4(dst []float32, ld int, src []float32, stride, cols int, vector bool) int { return 0 }

func pairsVector(dst, src []float32) int { return 0 }

func interleaveVector(dst, lo, hi []float32) int { return 0 }

func exp64(dst, src []float64, vector bool) { exp64Go(dst[:len(src)], src) }

func dense64(out []float64, ldo int, in []float64, ldi int, w, bias []float64, rows, k, n int, pre, h []float64, vector bool) {
	dense64Go(out, ldo, in, ldi, w, bias, rows, k, n, pre, h)
}

func outerAcc64(g, a []float64, lda int, b []float64, ldb int, rows, k, n int, vector bool) {
	outerAcc64Go(g, a, lda, b, ldb, rows, k, n)
}

func elu64(dst, src []float64, vector bool) { elu64Go(dst[:len(src)], src) }

func prefetch(p *float32, n int) {}

func affine(dst []float32, a, b float32, vector bool) { affineGo(dst, a, b) }

func tanhGrad(d, a []float32, vector bool) { tanhGradGo(d, a) }
