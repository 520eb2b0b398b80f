package ising

import "math"

// MeanAbsMagnetization returns ⟨|m|⟩, the mean over n configurations of the
// absolute magnetization per site, and its standard error over the
// configurations (0 for one), for n configurations of N sites stored one
// after another in s (±1 spins, or block means in [−1, 1]).
func MeanAbsMagnetization(s []float64, n, N int) (mean, stderr float64) {
	var s1, s2 float64
	for k := 0; k < n; k++ {
		var m float64
		for _, v := range s[k*N : (k+1)*N] {
			m += v
		}
		m = math.Abs(m / float64(N))
		s1, s2 = s1+m, s2+m*m
	}
	mean = s1 / float64(n)
	if n > 1 {
		stderr = math.Sqrt(math.Max(0, s2/float64(n)-mean*mean) / float64(n-1))
	}
	return mean, stderr
}
