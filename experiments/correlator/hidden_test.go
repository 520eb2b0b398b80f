package correlator

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// A hidden unit that copies one visible site has a one-site panel: C = Var(v)
// = 1 there, noise elsewhere; an independent unit has no panel at all.
func TestHiddenVisiblePlanted(t *testing.T) {
	const n, N, H, site = 5000, 64, 2, 37
	rng := rand.New(rand.NewPCG(7, 8))
	v := make([]float32, n*N)
	h := make([]float32, n*H)
	for s := 0; s < n; s++ {
		for i := 0; i < N; i++ {
			v[s*N+i] = float32(2*rng.IntN(2) - 1)
		}
		h[s*H] = v[s*N+site]
		h[s*H+1] = float32(rng.NormFloat64())
	}
	c, err := HiddenVisible(&linalg.Gemm{}, v, N, h, H)
	if err != nil {
		t.Fatal(err)
	}
	tol := 5 / math.Sqrt(n) // five standard errors of a covariance of ±1 variables
	for a := 0; a < H; a++ {
		for i := 0; i < N; i++ {
			want := 0.0
			if a == 0 && i == site {
				want = 1
			}
			if got := c[a*N+i]; math.Abs(got-want) > tol {
				t.Errorf("C[%d][%d] = %.4f, want %.1f ± %.3f", a, i, got, want, tol)
			}
		}
	}
}

// The chunked float32 product agrees with the float64 definition, and does
// not depend on the thread count.
func TestHiddenVisibleMatchesDefinition(t *testing.T) {
	const n, N, H = 4500, 9, 5 // more than two chunks
	rng := rand.New(rand.NewPCG(9, 10))
	v, h := make([]float32, n*N), make([]float32, n*H)
	for i := range v {
		v[i] = float32(rng.NormFloat64() + 0.3)
	}
	for i := range h {
		h[i] = float32(math.Tanh(rng.NormFloat64()) - 0.2)
	}
	c1, err := HiddenVisible(&linalg.Gemm{Threads: 1}, v, N, h, H)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := HiddenVisible(&linalg.Gemm{Threads: 2}, v, N, h, H)
	if !slices.Equal(c1, c2) {
		t.Error("1 and 2 threads differ")
	}
	for a := 0; a < H; a++ {
		for i := 0; i < N; i++ {
			var vh, mv, mh float64
			for s := 0; s < n; s++ {
				vh += float64(v[s*N+i]) * float64(h[s*H+a])
				mv += float64(v[s*N+i])
				mh += float64(h[s*H+a])
			}
			want := vh/n - (mv/n)*(mh/n)
			if got := c1[a*N+i]; math.Abs(got-want) > 1e-5 {
				t.Errorf("C[%d][%d] = %.7f, want %.7f", a, i, got, want)
			}
		}
	}
}

func TestHiddenVisibleErrors(t *testing.T) {
	g := &linalg.Gemm{}
	for name, tc := range map[string]struct {
		v, h []float32
		N, H int
	}{
		"ragged visible":  {make([]float32, 7), make([]float32, 4), 2, 2},
		"sample mismatch": {make([]float32, 6), make([]float32, 4), 2, 2},
		"one sample":      {make([]float32, 2), make([]float32, 2), 2, 2},
		"no hidden units": {make([]float32, 4), nil, 2, 0},
	} {
		if _, err := HiddenVisible(g, tc.v, tc.N, tc.h, tc.H); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
