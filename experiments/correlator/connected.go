package correlator

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Connected is a connected two-point function with bootstrap replicas.
type Connected struct {
	R   []float64 // distances, exact periodic-Euclidean classes with 0 < r <= L/2
	G   []float64 // G(r) = ⟨f(0)f(r)⟩ − ⟨f⟩²
	Err []float64 // bootstrap standard error of G(r)
	// Boot holds G(r) for each bootstrap resample of the samples.
	Boot [][]float64
}

// ConnectedG estimates the connected two-point function of a field sampled n
// times on an L×L periodic lattice (fields holds n·L² values, sample after
// sample):
//
//	G(r) = (1/n) Σ_s F_s(r) − μ²,  F_s(r) = mean over pairs at distance r of f_s(i)f_s(j),
//
// where μ is the mean of f over all sites and samples. Distances are the
// periodic Euclidean classes 0 < r ≤ L/2. Errors come from `boot` bootstrap
// resamples of the samples (which must be independent), drawn from rng.
func ConnectedG(fields []float64, n, L, boot int, rng *rand.Rand) (*Connected, error) {
	N := L * L
	if n < 2 || len(fields) != n*N {
		return nil, fmt.Errorf("correlator: %d values are not %d samples of %d×%d", len(fields), n, L, L)
	}
	fft := newFFT2(L)
	acf := make([]float64, N)
	var curves [][]float64
	means := make([]float64, n)
	var r []float64
	for s := 0; s < n; s++ {
		f := fields[s*N : (s+1)*N]
		for _, v := range f {
			means[s] += v
		}
		means[s] /= float64(N)
		clear(acf)
		fft.autocorrelate(f, acf)
		c := groupByDistance(acf, L, 0)
		var g []float64
		for i, ri := range c.R {
			if ri > 0 && ri <= float64(L)/2+1e-9 {
				if s == 0 {
					r = append(r, ri)
				}
				g = append(g, c.G[i])
			}
		}
		curves = append(curves, g)
	}
	estimate := func(idx func(int) int) []float64 {
		g := make([]float64, len(r))
		var mu float64
		for k := 0; k < n; k++ {
			s := idx(k)
			mu += means[s]
			for i := range g {
				g[i] += curves[s][i]
			}
		}
		mu /= float64(n)
		for i := range g {
			g[i] = g[i]/float64(n) - mu*mu
		}
		return g
	}
	out := &Connected{R: r, G: estimate(func(k int) int { return k })}
	for b := 0; b < boot; b++ {
		pick := make([]int, n)
		for k := range pick {
			pick[k] = rng.IntN(n)
		}
		out.Boot = append(out.Boot, estimate(func(k int) int { return pick[k] }))
	}
	out.Err = make([]float64, len(r))
	if boot > 1 {
		for i := range r {
			var m, m2 float64
			for _, g := range out.Boot {
				m += g[i]
				m2 += g[i] * g[i]
			}
			m /= float64(boot)
			out.Err[i] = math.Sqrt(math.Max(0, m2/float64(boot)-m*m) * float64(boot) / float64(boot-1))
		}
	}
	return out, nil
}
