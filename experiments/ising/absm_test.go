package ising

import (
	"math"
	"testing"
)

func TestMeanAbsMagnetization(t *testing.T) {
	for _, c := range []struct {
		name     string
		s        []float64
		n, N     int
		mean, se float64
	}{
		{"one ordered lattice", []float64{1, 1, 1, 1}, 1, 4, 1, 0},
		{"opposite orders count alike", []float64{1, 1, -1, -1}, 2, 2, 1, 0},
		// |m| = 1 and 0: mean ½, population variance ¼, standard error √(¼/1) = ½.
		{"ordered and disordered", []float64{1, 1, 1, -1}, 2, 2, 0.5, 0.5},
		{"block means", []float64{0.5, 0.5, -0.25, -0.25}, 2, 2, 0.375, 0.125},
	} {
		mean, se := MeanAbsMagnetization(c.s, c.n, c.N)
		if math.Abs(mean-c.mean) > 1e-15 || math.Abs(se-c.se) > 1e-15 {
			t.Errorf("%s: got %v ± %v, want %v ± %v", c.name, mean, se, c.mean, c.se)
		}
	}
}
