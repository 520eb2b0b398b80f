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

// bernoulli is bernoulliGo with the AVX-512 comparison when the CPU has it
// (and vector is true): the random words are drawn in chunks and compared
// 16 at a time, giving the same values as the Go loop.
func bernoulli(dst, p []float32, r *Rand, low float32, vector bool) {
	dst = dst[:len(p)]
	head := 0
	if vector && hasAVX512() {
		head = len(p) &^ 15
		var words [512]uint64
		for i := 0; i < head; i += 2 * len(words) {
			n := min(head-i, 2*len(words))
			r.fill(words[:n/2])
			bernoulliAVX512(&dst[i], &p[i], &words[0], n, low)
		}
	}
	bernoulliGo(dst[head:], p[head:], r, low)
}

//go:noescape
func bernoulliAVX512(dst, p *float32, u *uint64, n int, low float32)

// exp sets dst[i] = e^(src[i]) with the AVX-512 kernel when the CPU has it
// (and vector is true), expf otherwise.
func exp(dst, src []float32, vector bool) {
	dst = dst[:len(src)]
	head := 0
	if vector && hasAVX512() {
		head = len(src) &^ 15
		if head > 0 {
			expAVX512(&dst[0], &src[0], head)
		}
	}
	for i := head; i < len(src); i++ {
		dst[i] = expf(src[i])
	}
}

//go:noescape
func expAVX512(dst, src *float32, n int)

// exp64 sets dst[i] = e^(src[i]) with the AVX-512 kernel when the CPU has it
// (and vector is true), math.Exp otherwise.
func exp64(dst, src []float64, vector bool) {
	dst = dst[:len(src)]
	if vector && hasAVX512() {
		if len(src) > 0 {
			exp64AVX512(&dst[0], &src[0], len(src))
		}
		return
	}
	exp64Go(dst, src)
}

//go:noescape
func exp64AVX512(dst, src *float64, n int)

// elu64 sets dst[i] = ELU(src[i]) with the AVX-512 kernel when the CPU has it
// (and vector is true), elu64Go otherwise; both give the same bits.
func elu64(dst, src []float64, vector bool) {
	dst = dst[:len(src)]
	if vector && hasAVX512() {
		if len(src) > 0 {
			elu64AVX512(&dst[0], &src[0], len(src))
		}
		return
	}
	elu64Go(dst, src)
}

//go:noescape
func elu64AVX512(dst, src *float64, n int)

// affine sets dst[i] = a·dst[i] + b, 16 at a time with AVX-512 when the CPU
// has it (and vector is true); both paths give the same bits.
func affine(dst []float32, a, b float32, vector bool) {
	head := 0
	if vector && hasAVX512() {
		head = len(dst) &^ 15
		if head > 0 {
			affineAVX512(&dst[0], head, a, b)
		}
	}
	affineGo(dst[head:], a, b)
}

//go:noescape
func affineAVX512(dst *float32, n int, a, b float32)

// tanhGrad sets d[i] *= 1 − a[i]², 16 at a time with AVX-512 when the CPU
// has it (and vector is true); both paths give the same bits.
func tanhGrad(d, a []float32, vector bool) {
	head := 0
	if vector && hasAVX512() {
		head = len(a) &^ 15
		if head > 0 {
			tanhGradAVX512(&d[0], &a[0], head)
		}
	}
	tanhGradGo(d[head:], a[head:])
}

//go:noescape
func tanhGradAVX512(d, a *float32, n int)
