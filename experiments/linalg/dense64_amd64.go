package linalg

// dense64 is Dense64 with the AVX-512 kernel when the CPU has it (and
// vector is true), dense64Go otherwise; both give the same bits.
func dense64(out []float64, ldo int, in []float64, ldi int, w, bias []float64, rows, k, n int, pre, h []float64, vector bool) {
	if !vector || !hasAVX512() {
		dense64Go(out, ldo, in, ldi, w, bias, rows, k, n, pre, h)
		return
	}
	var pb, pp, ph *float64
	if bias != nil {
		pb = &bias[0]
	}
	if pre != nil {
		pp, ph = &pre[0], &h[0]
	}
	dense64AVX512(&out[0], ldo, &in[0], ldi, &w[0], pb, rows, k, n, pp, ph)
}

//go:noescape
func dense64AVX512(out *float64, ldo int, in *float64, ldi int, w, bias *float64, rows, k, n int, pre, h *float64)

// outerAcc64 is OuterAcc64 with the AVX-512 kernel when the CPU has it (and
// vector is true), outerAcc64Go otherwise; both give the same bits.
func outerAcc64(g, a []float64, lda int, b []float64, ldb int, rows, k, n int, vector bool) {
	if !vector || !hasAVX512() {
		outerAcc64Go(g, a, lda, b, ldb, rows, k, n)
		return
	}
	var pa *float64
	if a != nil {
		pa = &a[0]
	}
	outerAcc64AVX512(&g[0], pa, lda, &b[0], ldb, rows, k, n)
}

//go:noescape
func outerAcc64AVX512(dst, a *float64, lda int, b *float64, ldb int, rows, k, n int)
