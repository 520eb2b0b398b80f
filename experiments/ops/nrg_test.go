package ops

import (
	"math"
	"testing"
)

// collectiveShare is 1 for a uniform shift of the lattice, 1/N when one site
// alone changes, and 0 when nothing does.
func TestCollectiveShare(t *testing.T) {
	base := []float64{0.3, -1.2, 0.7, 2.0, -0.4, 0.1, 1.1, -0.9}
	N := float64(len(base))
	shifted := func(f func(i int, d float64) float64) [][]float64 {
		var xs [][]float64
		for _, d := range []float64{0, 0.5, -1.5, 2.25} {
			x := make([]float64, len(base))
			for i, b := range base {
				x[i] = b + f(i, d)
			}
			xs = append(xs, x)
		}
		return xs
	}
	for _, c := range []struct {
		name string
		xs   [][]float64
		want float64
	}{
		{"no change", shifted(func(int, float64) float64 { return 0 }), 0},
		{"every site by d", shifted(func(_ int, d float64) float64 { return d }), 1},
		{"site 3 alone", shifted(func(i int, d float64) float64 {
			if i == 3 {
				return d
			}
			return 0
		}), 1 / N},
		{"half up, half down", shifted(func(i int, d float64) float64 { return d * float64(1-2*(i%2)) }), 0},
	} {
		if got := collectiveShare(c.xs); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: share %v, want %v", c.name, got, c.want)
		}
	}
}
