package ops

import (
	"math"
	"testing"
)

// blockShare with one block, the whole lattice, is 1 for a uniform shift,
// 1/N when one site alone changes, and 0 when nothing does.
func TestCollectiveShare(t *testing.T) {
	base := make([]float64, 64)
	for i := range base {
		base[i] = math.Sin(float64(7*i + 1))
	}
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
		if got := blockShare(c.xs, 8, 8); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: share %v, want %v", c.name, got, c.want)
		}
	}
}

// blockShare over 2×2 blocks of a 4×4 lattice: 1 when each block moves as
// one (blocks independently), 1/4 when one site moves, 0 when each block's
// sites move against each other.
func TestBlockShare(t *testing.T) {
	shifts := []float64{0, 0.5, -1.5, 2.25, 0.75}
	build := func(f func(x, y int, v int) float64) [][]float64 {
		var xs [][]float64
		for v := range shifts {
			x := make([]float64, 16)
			for i := range x {
				x[i] = math.Cos(float64(i)) + f(i%4, i/4, v)
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
		{"blocks move as one, each its own way", build(func(x, y, v int) float64 { return shifts[(v+x/2+2*(y/2))%len(shifts)] }), 1},
		{"one site", build(func(x, y, v int) float64 {
			if x == 1 && y == 2 {
				return shifts[v]
			}
			return 0
		}), 0.25},
		{"checkerboard inside blocks", build(func(x, y, v int) float64 { return shifts[v] * float64(1-2*((x+y)%2)) }), 0},
	} {
		if got := blockShare(c.xs, 4, 2); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: block share %v, want %v", c.name, got, c.want)
		}
	}
}
