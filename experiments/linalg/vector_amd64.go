package linalg

// axpy is Axpy with the AVX-512 loop when the CPU has it (and vector is
// true), the Go loop otherwise and for the tail.
func axpy(alpha float32, x, y []float32, vector bool) {
	head := 0
	if vector && hasAVX512() {
		head = len(x) &^ 31
		if head > 0 {
			axpyAVX512(alpha, &x[0], &y[0], head)
		}
	}
	axpyGo(alpha, x[head:], y[head:])
}

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

// adam is adamGo with the AVX-512 kernel on the multiple-of-16 head when the
// CPU has it (and vector is true); the results are the same bits.
func adam(p, g, m1, m2 []float32, c *AdamConsts, vector bool) {
	head := 0
	if vector && hasAVX512() {
		head = len(p) &^ 15
		if head > 0 {
			adamAVX512(&p[0], &g[0], &m1[0], &m2[0], head, c)
		}
	}
	adamGo(p[head:], g[head:], m1[head:], m2[head:], c)
}

//go:noescape
func adamAVX512(p, grad, m1, m2 *float32, n int, c *AdamConsts)

// transpose4 transposes 4 rows of src with the AVX-512 kernel over the
// columns that fill 16-wide blocks and returns how many it did (0 without
// AVX-512 or with vector false).
func transpose4(dst []float32, ld int, src []float32, stride, cols int, vector bool) int {
	blocks := cols / 16
	if !vector || !hasAVX512() || blocks == 0 {
		return 0
	}
	// The kernel reads src[3*stride+16*blocks-1] and writes dst[(16*blocks-1)*ld+3]: check them.
	_ = src[3*stride+16*blocks-1]
	_ = dst[(16*blocks-1)*ld+3]
	transpose4AVX512(&dst[0], ld, &src[0], stride, blocks)
	return 16 * blocks
}

//go:noescape
func transpose4AVX512(dst *float32, ld int, src *float32, stride int, blocks int)

//go:noescape
func prefetch(p *float32, n int)
