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
