package linalg

// sigmoidScaled sets dst[i] = 1/(1 + e^(−scale·src[i])) with the AVX-512
// kernel when the CPU has it (and vector is true), the Go code otherwise.
func sigmoidScaled(dst, src []float32, scale float32, vector bool) {
	dst = dst[:len(src)]
	head := 0
	if vector && hasAVX512() {
		head = len(src) &^ 15
		if head > 0 {
			sigmoidAVX512(&dst[0], &src[0], head, -scale)
		}
	}
	sigmoidGo(dst[head:], src[head:], scale)
}

//go:noescape
func sigmoidAVX512(dst, src *float32, n int, scale float32)
