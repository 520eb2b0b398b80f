package ops

import (
	"math"
	"testing"
)

// blockShare of configurations that differ by known moves: over one block,
// the whole lattice (the collective share), 1 for a uniform shift, 1/N when one
// site alone moves, 0 when nothing does or the moves cancel; over 2×2 blocks,
// 1 when each block moves as one (each its own way), 1/4 when one site moves,
// 0 when each block's sites move against each other.
func TestBlockShare(t *testing.T) {
	shifts := []float64{0, 0.5, -1.5, 2.25, 0.75}
	site := func(sx, sy int) func(x, y, v int) float64 {
		return func(x, y, v int) float64 {
			if x == sx && y == sy {
				return shifts[v]
			}
			return 0
		}
	}
	for _, c := range []struct {
		name  string
		L, b  int
		moves func(x, y, v int) float64
		want  float64
	}{
		{"no change", 8, 8, func(int, int, int) float64 { return 0 }, 0},
		{"every site alike", 8, 8, func(_, _, v int) float64 { return shifts[v] }, 1},
		{"one site", 8, 8, site(3, 0), 1.0 / 64},
		{"stripes up and down", 8, 8, func(x, _, v int) float64 { return shifts[v] * float64(1-2*(x%2)) }, 0},
		{"blocks move as one, each its own way", 4, 2, func(x, y, v int) float64 { return shifts[(v+x/2+2*(y/2))%len(shifts)] }, 1},
		{"one site in 2×2 blocks", 4, 2, site(1, 2), 0.25},
		{"checkerboard inside blocks", 4, 2, func(x, y, v int) float64 { return shifts[v] * float64(1-2*((x+y)%2)) }, 0},
	} {
		var xs [][]float64
		for v := range shifts {
			x := make([]float64, c.L*c.L)
			for i := range x {
				x[i] = math.Sin(float64(7*i+1)) + c.moves(i%c.L, i/c.L, v)
			}
			xs = append(xs, x)
		}
		if got := blockShare(xs, c.L, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: block share %v, want %v", c.name, got, c.want)
		}
	}
}
