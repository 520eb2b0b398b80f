package pattern

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCheckerboard(t *testing.T) {
	c := Checkerboard(8, 2)
	tests := []struct{ x, y, want int }{{0, 0, 1}, {1, 1, 1}, {2, 0, -1}, {0, 2, -1}, {2, 2, 1}, {7, 7, 1}, {3, 1, -1}, {5, 1, 1}}
	for _, tt := range tests {
		if got := c[tt.y*8+tt.x]; got != float64(tt.want) {
			t.Errorf("(%d,%d) = %v, want %d", tt.x, tt.y, got, tt.want)
		}
	}
	var sum float64
	for _, v := range c {
		sum += v
	}
	if sum != 0 {
		t.Errorf("sum = %v, want 0 for an even number of blocks", sum)
	}
}

func TestWhiteNoiseMoments(t *testing.T) {
	const n = 200000
	for _, tt := range []struct {
		dist           string
		mean, variance float64
	}{{Normal, 0, 1}, {Uniform, 0, 1.0 / 3}, {Sign, 0, 1}} {
		x, err := WhiteNoise(rand.New(rand.NewPCG(1, 2)), 1, int(math.Sqrt(n)), tt.dist)
		if err != nil {
			t.Fatal(err)
		}
		var m, m2 float64
		for _, v := range x {
			m += v
			m2 += v * v
		}
		m /= float64(len(x))
		v := m2/float64(len(x)) - m*m
		// 5 standard errors of the mean and (roughly) of the variance.
		if math.Abs(m-tt.mean) > 5*math.Sqrt(tt.variance/float64(len(x))) || math.Abs(v-tt.variance) > 5*tt.variance*math.Sqrt(2/float64(len(x))) {
			t.Errorf("%s: mean %v var %v, want %v and %v", tt.dist, m, v, tt.mean, tt.variance)
		}
	}
	if _, err := WhiteNoise(rand.New(rand.NewPCG(1, 2)), 1, 2, "cauchy"); err == nil {
		t.Error("unknown distribution: no error")
	}
}
