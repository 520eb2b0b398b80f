// Package pattern makes synthetic correlator panels with a known structure,
// used to calibrate what the two-point function G(r) of a panel can show:
// white noise (no structure) and checkerboards (periodic patches).
//
// A panel is an L×L lattice stored row-major: site (x, y) is at index y*L + x.
package pattern

import (
	"fmt"
	"math/rand/v2"
)

// Distributions of white noise.
const (
	Normal  = "normal"  // standard normal
	Uniform = "uniform" // uniform on [-1, 1)
	Sign    = "sign"    // ±1 with equal probability
)

// WhiteNoise returns n independent L×L panels of independent values drawn
// from dist, one panel after another.
func WhiteNoise(rng *rand.Rand, n, L int, dist string) ([]float64, error) {
	out := make([]float64, n*L*L)
	for i := range out {
		switch dist {
		case Normal:
			out[i] = rng.NormFloat64()
		case Uniform:
			out[i] = 2*rng.Float64() - 1
		case Sign:
			out[i] = float64(2*rng.IntN(2) - 1)
		default:
			return nil, fmt.Errorf("pattern: unknown distribution %q", dist)
		}
	}
	return out, nil
}

// Checkerboard returns an L×L panel of block×block sub-blocks alternating
// between +1 and -1; the sub-block holding site (0, 0) is +1.
func Checkerboard(L, block int) []float64 {
	out := make([]float64, L*L)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			v := 1.0
			if (x/block+y/block)%2 == 1 {
				v = -1
			}
			out[y*L+x] = v
		}
	}
	return out
}
