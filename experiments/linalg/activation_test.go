package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpf(t *testing.T) {
	for x := float32(-87); x <= 88.5; x += 0.013 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("expf(%v) = %v, want %v (rel %.2g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if expf(-200) > 1e-37 || expf(float32(math.Inf(-1))) > 1e-37 {
		t.Error("expf does not saturate to 0")
	}
	if v := expf(200); math.IsNaN(float64(v)) || v < 1e38 {
		t.Errorf("expf(200) = %v", v)
	}
}

func TestSigmoidTanh(t *testing.T) {
	var xs []float32
	for x := float32(-30); x <= 30; x += 0.01 {
		xs = append(xs, x)
	}
	xs = append(xs, -1000, 1000, float32(math.Inf(1)), float32(math.Inf(-1)))
	s, th := make([]float32, len(xs)), make([]float32, len(xs))
	for _, vector := range []bool{false, true} {
		sigmoidScaled(s, xs, 1, vector)
		sigmoidScaled(th, xs, 2, vector)
		for i := range th {
			th[i] = 2*th[i] - 1
		}
		for i, x := range xs {
			ws := 1 / (1 + math.Exp(-float64(x)))
			wt := math.Tanh(float64(x))
			if math.Abs(float64(s[i])-ws) > 3e-7*ws+1e-30 || math.IsNaN(float64(s[i])) {
				t.Fatalf("Sigmoid(%v) = %v, want %v", x, s[i], ws)
			}
			if math.Abs(float64(th[i])-wt) > 5e-7 || math.IsNaN(float64(th[i])) {
				t.Fatalf("Tanh(%v) = %v, want %v", x, th[i], wt)
			}
		}
	}
	// The exported forms agree with the paths tested above.
	Sigmoid(th, xs)
	if th[17] != s[17] {
		t.Error("Sigmoid differs from sigmoidScaled")
	}
}

// Bernoulli frequencies match p within 5 standard errors; p = 0 and 1 are exact.
func TestBernoulli(t *testing.T) {
	r := NewRand(1)
	for _, p := range []float32{0, 1e-3, 0.25, 0.5, 0.9, 1, -0.5, 1.5} {
		const n = 200001 // odd: the last value uses half a word
		ps := make([]float32, n)
		for i := range ps {
			ps[i] = p
		}
		for _, low := range []float32{0, -1} {
			dst := make([]float32, n)
			bernoulli(dst, ps, r, low, true)
			ones := 0
			for _, v := range dst {
				switch v {
				case 1:
					ones++
				case low:
				default:
					t.Fatalf("value %v", v)
				}
			}
			q := math.Max(0, math.Min(1, float64(p)))
			freq := float64(ones) / n
			se := math.Sqrt(q*(1-q)/n) + 1e-12
			if math.Abs(freq-q) > 5*se {
				t.Errorf("p=%v low=%v: frequency %v", p, low, freq)
			}
		}
	}
}

// The vector path gives the Go path's values bit for bit, on lengths around
// the vector width and the chunk size, with p at and beyond the edges.
func TestBernoulliPathsAgree(t *testing.T) {
	r := NewRand(9)
	for _, n := range []int{1, 15, 16, 17, 33, 1023, 1024, 1025, 5000} {
		p := make([]float32, n)
		for i := range p {
			switch i % 7 {
			case 0:
				p[i] = 0
			case 1:
				p[i] = 1
			case 2:
				p[i] = float32(r.Normal()) // outside [0, 1] too
			case 3:
				p[i] = math.Nextafter32(1, 0)
			case 4:
				p[i] = 1e-9
			default:
				p[i] = float32(r.Uint64()>>40) / (1 << 24)
			}
		}
		for _, low := range []float32{0, -1} {
			a, b := make([]float32, n), make([]float32, n)
			ra, rb := NewRand(uint64(n)), NewRand(uint64(n))
			bernoulli(a, p, ra, low, false)
			bernoulli(b, p, rb, low, true)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("n=%d low=%v: value %d (p=%v) is %v in Go, %v in the vector path", n, low, i, p[i], a[i], b[i])
				}
			}
			if ra.Uint64() != rb.Uint64() {
				t.Fatalf("n=%d: the paths leave the generator in different states", n)
			}
		}
	}
}

// Two generators with different seeds give different streams; the same seed
// the same stream.
func TestRandSeeds(t *testing.T) {
	if NewRand(1).Uint64() == NewRand(2).Uint64() {
		t.Error("seeds 1 and 2 agree")
	}
	a, c := NewRand(1), NewRand(1)
	a.Uint64()
	c.Uint64()
	if a.Uint64() != c.Uint64() {
		t.Error("same seed, different streams")
	}
}

func BenchmarkSigmoid(b *testing.B) {
	x := make([]float32, 1<<14)
	for i := range x {
		x[i] = float32(i%200-100) / 10
	}
	y := make([]float32, len(x))
	for i := 0; i < b.N; i++ {
		Sigmoid(y, x)
	}
	b.ReportMetric(float64(b.N*len(x))/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkBernoulli(b *testing.B) {
	p := make([]float32, 1<<14)
	for i := range p {
		p[i] = float32(i%100) / 100
	}
	y := make([]float32, len(p))
	r := NewRand(1)
	for i := 0; i < b.N; i++ {
		Bernoulli(y, p, r)
	}
	b.ReportMetric(float64(b.N*len(p))/b.Elapsed().Seconds(), "values/s")
}

// TestExp64 compares Exp64 with math.Exp to 4 ulp over the range, for
// lengths around the vector width, and checks that nothing past the end of
// dst is written.
func TestExp64(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, vector := range []bool{false, true} {
		for n := 0; n <= 19; n++ {
			for rep := 0; rep < 50; rep++ {
				src := make([]float64, n)
				for i := range src {
					switch rep % 3 {
					case 0:
						src[i] = r.Float64()*1416 - 708
					case 1:
						src[i] = r.NormFloat64() * 3
					default:
						src[i] = (r.Float64() - 0.5) * 1e-3
					}
				}
				dst := make([]float64, n+1)
				dst[n] = 42
				exp64(dst[:n], src, vector)
				if dst[n] != 42 {
					t.Fatalf("vector=%v n=%d: wrote past the end", vector, n)
				}
				for i, x := range src {
					want := math.Exp(x)
					if d := math.Abs(dst[i]-want) / want; d > 4*0x1p-52 {
						t.Fatalf("vector=%v: e^%v = %v, want %v (relative error %.2g)", vector, x, dst[i], want, d)
					}
				}
			}
		}
	}
	dst := make([]float64, 3)
	Exp64(dst, []float64{-1000, 0, 1000})
	for i, want := range []float64{math.Exp(-708), 1, math.Exp(709)} {
		if math.Abs(dst[i]-want) > 4*0x1p-52*want {
			t.Errorf("clamped: %v", dst)
		}
	}
}

// TestELU64 checks the AVX-512 ELU against Exp64 followed by the scalar
// selection bit for bit, for lengths around the vector width, values of
// both signs, zeros of both signs and large ones, and that nothing past the
// end of dst is written.
func TestELU64(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for n := 0; n <= 19; n++ {
		for rep := 0; rep < 20; rep++ {
			src := make([]float64, n)
			for i := range src {
				switch r.IntN(6) {
				case 0:
					src[i] = math.Copysign(0, r.Float64()-0.5)
				case 1:
					src[i] = (r.Float64() - 0.5) * 2000
				default:
					src[i] = r.NormFloat64() * 3
				}
			}
			got := make([]float64, n+1)
			got[n] = 42
			elu64(got[:n], src, true)
			if got[n] != 42 {
				t.Fatalf("n=%d: wrote past the end", n)
			}
			want := make([]float64, n)
			Exp64(want, src)
			for i, x := range src {
				if x > 0 {
					want[i] = x
				} else {
					want[i]--
				}
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("ELU(%v) = %v, want %v", x, got[i], want[i])
				}
			}
		}
	}
}

// TestAffineAndTanhGradPaths compares the AVX-512 and Go paths of affine
// (Tanh's 2σ − 1) and TanhGrad bit for bit on lengths around the vector
// width, and checks TanhGrad against its formula.
func TestAffineAndTanhGradPaths(t *testing.T) {
	r := NewRand(17)
	for _, n := range []int{0, 1, 15, 16, 17, 33, 100} {
		a, d := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], d[i] = float32(r.Normal()), float32(r.Normal())
		}
		f1, f2 := append([]float32(nil), d...), append([]float32(nil), d...)
		affine(f1, 2, -1, true)
		affine(f2, 2, -1, false)
		g1, g2 := append([]float32(nil), d...), append([]float32(nil), d...)
		tanhGrad(g1, a, true)
		tanhGrad(g2, a, false)
		for i := range d {
			if math.Float32bits(f1[i]) != math.Float32bits(f2[i]) || f2[i] != 2*d[i]-1 {
				t.Fatalf("n=%d: affine %v (vector) %v (Go), want %v", n, f1[i], f2[i], 2*d[i]-1)
			}
			if want := d[i] * (1 - a[i]*a[i]); math.Float32bits(g1[i]) != math.Float32bits(g2[i]) || g2[i] != want {
				t.Fatalf("n=%d: TanhGrad %v (vector) %v (Go), want %v", n, g1[i], g2[i], want)
			}
		}
	}
}
