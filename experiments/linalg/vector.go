package linalg

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
