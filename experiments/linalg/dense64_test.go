package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fill64 returns n values of mixed sign and scale, with some exact zeros of
// both signs (ELU′'s pre ≤ 0 test and a sum's sign of zero must survive).
func fill64(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		switch r.IntN(10) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = math.Copysign(0, -1)
		default:
			s[i] = r.NormFloat64() * math.Exp(r.NormFloat64())
		}
	}
	return s
}

// TestDense64MatchesLoop compares the AVX-512 kernel with the Go loop bit for
// bit on every width up to MaxDense64, with and without a bias and the ELU′
// factor, and checks that nothing between rows (ldo > n) is written.
func TestDense64MatchesLoop(t *testing.T) {
	if !hasAVX512() {
		t.Skip("no AVX-512: Dense64 is the Go loop")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= MaxDense64; n++ {
		for _, k := range []int{1, 2, 4, 10, 17} {
			for _, rows := range []int{1, 3, 16} {
				for variant := 0; variant < 4; variant++ {
					withBias, withELU := variant&1 != 0, variant&2 != 0
					ldo, ldi := n+variant, k+1
					in, w := fill64(r, rows*ldi), fill64(r, k*n)
					var bias, pre, h []float64
					if withBias {
						bias = fill64(r, n)
					}
					if withELU {
						pre, h = fill64(r, rows*ldo), fill64(r, rows*ldo)
					}
					want, got := fill64(r, rows*ldo), make([]float64, rows*ldo)
					copy(got, want)
					dense64Go(want, ldo, in, ldi, w, bias, rows, k, n, pre, h)
					dense64(got, ldo, in, ldi, w, bias, rows, k, n, pre, h, true)
					for i := range want {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("n=%d k=%d rows=%d bias=%v elu=%v: out[%d] = %v, want %v", n, k, rows, withBias, withELU, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestDense64Definition checks the Go loop against the formula on a case
// worked by hand, including the ELU′ factor and the sum without a bias.
func TestDense64Definition(t *testing.T) {
	in := []float64{1, 2, 3, 4}      // two rows of two inputs
	w := []float64{1, 10, 100, 1000} // 2×2
	out := make([]float64, 4)
	Dense64(out, 2, in, 2, w, []float64{0.5, -0.5}, 2, 2, 2, nil, nil)
	if want := []float64{0.5 + 1 + 200, -0.5 + 10 + 2000, 0.5 + 3 + 400, -0.5 + 30 + 4000}; !equal64(out, want) {
		t.Errorf("with bias: %v, want %v", out, want)
	}
	pre, h := []float64{-1, 1, 0, 2}, []float64{-0.5, 9, 0, 9}
	Dense64(out, 2, in, 2, w, nil, 2, 2, 2, pre, h)
	if want := []float64{201 * 0.5, 2010, 403, 4030}; !equal64(out, want) {
		t.Errorf("ELU′: %v, want %v", out, want)
	}
}

func equal64(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestOuterAcc64MatchesLoop compares the AVX-512 kernel with the Go loop bit
// for bit, with and without a, and checks the order (last row first) on a
// sum whose rounding depends on it.
func TestOuterAcc64MatchesLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= MaxDense64; n++ {
		for _, k := range []int{1, 2, 4, 10} {
			for _, rows := range []int{1, 2, 16} {
				for _, withA := range []bool{true, false} {
					kk, lda := k, k+2
					var a []float64
					if withA {
						a = fill64(r, rows*lda)
					} else {
						kk = 1
					}
					ldb := n + 3
					b := fill64(r, rows*ldb)
					want := fill64(r, kk*n)
					got := append([]float64(nil), want...)
					outerAcc64Go(want, a, lda, b, ldb, rows, kk, n)
					outerAcc64(got, a, lda, b, ldb, rows, kk, n, true)
					for i := range want {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("n=%d k=%d rows=%d a=%v: g[%d] = %v, want %v", n, kk, rows, withA, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	// 1 + 2⁻⁵³ + 2⁻⁵³ is 1 taken first to last, 1 + 2⁻⁵² last to first.
	g := []float64{0}
	OuterAcc64(g, nil, 1, []float64{1, 0x1p-53, 0x1p-53}, 1, 3, 1, 1)
	if g[0] != 1+0x1p-52 {
		t.Errorf("order: got 1 + %v, want 1 + 2⁻⁵²", g[0]-1)
	}
}
