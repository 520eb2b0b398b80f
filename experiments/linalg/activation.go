package linalg

import (
	"math"
	"math/bits"
)

// The element-wise kernels are branch-free: a data-dependent branch per
// element (a clamp, a Bernoulli comparison) mispredicts half the time on
// activations near 0, which costs more than the arithmetic.

// expf returns e^x for float32 x, with relative error about 2·10⁻⁷, saturating
// to 0 below −87.3 and to about 2¹²⁸ above 88.7: x = n·ln2 + r with n an
// integer (rounded by the 1.5·2²³ trick) and |r| ≤ ln2/2 (Cody–Waite split of
// ln 2, so r is exact), e^r by its degree-6 Taylor polynomial, 2ⁿ by the
// exponent bits.
func expf(x float32) float32 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 0.693145751953125
		ln2lo = 1.428606765330187e-06
		magic = 12582912 // 1.5·2²³
	)
	x = max(-87.3, min(88.7, x))
	nr := x*log2e + magic
	n := int32(math.Float32bits(nr) - math.Float32bits(magic))
	nf := nr - magic
	r := x - nf*ln2hi - nf*ln2lo
	p := float32(1.0 / 720)
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return math.Float32frombits(uint32(int32(math.Float32bits(p)) + n<<23))
}

// Exp sets dst[i] = e^(src[i]) (relative error about 2·10⁻⁷; see expf), 16
// values per instruction with AVX-512. dst and src may be the same slice.
func Exp(dst, src []float32) { exp(dst, src, true) }

// Sigmoid sets dst[i] = 1/(1 + e^(−src[i])), 16 values per instruction with
// AVX-512. dst and src may be the same slice.
func Sigmoid(dst, src []float32) { sigmoidScaled(dst, src, 1, true) }

// SigmoidScaled sets dst[i] = 1/(1 + e^(−scale·src[i])): σ(2x) is the
// probability that a ±1 unit with field x is +1.
func SigmoidScaled(dst, src []float32, scale float32) { sigmoidScaled(dst, src, scale, true) }

// Tanh sets dst[i] = tanh(src[i]) = 2σ(2x) − 1 (absolute error about 2·10⁻⁷).
func Tanh(dst, src []float32) {
	sigmoidScaled(dst, src, 2, true)
	affine(dst[:len(src)], 2, -1, true)
}

// affineGo is the portable affine.
func affineGo(dst []float32, a, b float32) {
	for i, v := range dst {
		dst[i] = a*v + b
	}
}

// TanhGrad sets d[i] *= 1 − a[i]² for i < len(a): the chain rule through
// a = tanh(x), whose derivative is 1 − a². d must be at least as long as a.
func TanhGrad(d, a []float32) {
	if len(d) < len(a) {
		panic("linalg: TanhGrad with d shorter than a")
	}
	tanhGrad(d[:len(a)], a, true)
}

// tanhGradGo is the portable TanhGrad.
func tanhGradGo(d, a []float32) {
	d = d[:len(a)]
	for i, v := range a {
		d[i] *= 1 - v*v
	}
}

// sigmoidGo is the portable sigmoidScaled.
func sigmoidGo(dst, src []float32, scale float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = 1 / (1 + expf(-scale*x))
	}
}

// Rand is a fast generator of uniform variates (wyrand: a Weyl sequence
// through a 128-bit multiply-fold). It is not safe for concurrent use.
type Rand struct{ state uint64 }

// NewRand returns a generator seeded with seed.
func NewRand(seed uint64) *Rand { return &Rand{state: seed} }

// Uint64 returns 64 uniform random bits.
func (r *Rand) Uint64() uint64 {
	r.state += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.state, r.state^0xe7037ed1a0b428db)
	return hi ^ lo
}

// Bernoulli sets dst[i] to 1 with probability p[i] and to 0 otherwise
// (p outside [0, 1] acts as clamped). Each value consumes 32 random bits:
// u = bits·2⁻³² and the draw is u < p, decided on integers without a branch.
func Bernoulli(dst, p []float32, r *Rand) { bernoulli(dst, p, r, 0, true) }

// BernoulliSpin sets dst[i] to +1 with probability p[i] and to −1 otherwise.
func BernoulliSpin(dst, p []float32, r *Rand) { bernoulli(dst, p, r, -1, true) }

// bernoulliGo sets dst[i] to 1 with probability p[i], else to low (0 or −1).
func bernoulliGo(dst, p []float32, r *Rand, low float32) {
	dst = dst[:len(p)]
	span := 1 - low
	state := r.state
	for i := 0; i < len(p); i += 2 {
		state += 0xa0761d6478bd642f
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		u := hi ^ lo
		dst[i] = low + span*float32(below(uint32(u), p[i]))
		if i+1 < len(p) {
			dst[i+1] = low + span*float32(below(uint32(u>>32), p[i+1]))
		}
	}
	r.state = state
}

// below returns 1 if u·2⁻³² < p, else 0: the threshold p·2³² is compared
// with u in 64-bit integers, so p = 1 always succeeds and p = 0 never does.
func below(u uint32, p float32) uint64 {
	t := int64(max(0, min(1, p)) * (1 << 32))
	return uint64(int64(u)-t) >> 63
}

// fill sets words to the generator's next len(words) outputs.
func (r *Rand) fill(words []uint64) {
	state := r.state
	for i := range words {
		state += 0xa0761d6478bd642f
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		words[i] = hi ^ lo
	}
	r.state = state
}

// Normal returns a standard normal variate (Box–Muller).
func (r *Rand) Normal() float64 {
	u1 := (float64(r.Uint64()>>11) + 0.5) / (1 << 53)
	u2 := float64(r.Uint64()>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// Exp64 sets dst[i] = e^(src[i]) in float64, to about 2 ulp for src in
// [−708, 709], clamped to it (below, the result is e^−708 ≈ 3·10⁻³⁰⁸): eight at
// a time with AVX-512 where the CPU has it, math.Exp elsewhere.
func Exp64(dst, src []float64) { exp64(dst, src, true) }

// ELU64 sets dst[i] = ELU(src[i]): src[i] where it is positive, e^(src[i]) − 1
// otherwise, with e^x as Exp64's (the absolute error below 2⁻⁵¹, which is what
// a network layer's output needs), eight at a time with AVX-512.
func ELU64(dst, src []float64) { elu64(dst, src, true) }

// elu64Go is the portable ELU64: Exp64's exponential (Go or AVX-512, as
// exp64 picks), then the selection, giving the kernel's bits.
func elu64Go(dst, src []float64) {
	exp64(dst, src, true)
	for i, x := range src {
		if x > 0 {
			dst[i] = x
		} else {
			dst[i]--
		}
	}
}

func exp64Go(dst, src []float64) {
	for i, x := range src {
		dst[i] = math.Exp(min(max(x, -708), 709))
	}
}
