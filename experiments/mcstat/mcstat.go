// Package mcstat estimates errors of Monte Carlo averages: the integrated
// autocorrelation time with Madras–Sokal automatic windowing, and jackknife
// errors of derived quantities.
package mcstat

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Autocorr returns the normalised autocorrelation ρ(t), t = 0 … n−1, of x,
// computed with a zero-padded FFT in O(n log n). A constant series gives ρ = 1
// at t = 0 and 0 elsewhere.
func Autocorr(x []float64) []float64 {
	n := len(x)
	if n == 0 {
		return nil
	}
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	m := 1
	for m < 2*n {
		m <<= 1
	}
	fft := fourier.NewFFT(m)
	buf := make([]float64, m)
	for i, v := range x {
		buf[i] = v - mean
	}
	coef := fft.Coefficients(nil, buf)
	for i, c := range coef {
		coef[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
	}
	acf := fft.Sequence(nil, coef)
	rho := make([]float64, n)
	if acf[0] <= 1e-300 {
		rho[0] = 1
		return rho
	}
	for t := 0; t < n; t++ {
		rho[t] = acf[t] / acf[0]
	}
	return rho
}

// Tau is an integrated autocorrelation time with its window and error.
type Tau struct {
	Tau    float64 // τ_int = ½ + Σ_{t=1}^{W} ρ(t), in units of the series' spacing
	Err    float64 // statistical error, τ·√(2(2W+1)/n)
	Window int     // W
	// Reliable is false when the series is shorter than 50 τ: the estimate is
	// then biased low and the window may have been cut by the series' end.
	Reliable bool
}

// IntegratedTime estimates τ_int of x with Madras–Sokal windowing: W is the
// smallest window with W ≥ c·τ(W) (c = 6 is the usual choice).
func IntegratedTime(x []float64, c float64) Tau {
	n := len(x)
	rho := Autocorr(x)
	tau := 0.5
	w := 0
	for w = 1; w < n; w++ {
		tau += rho[w]
		if float64(w) >= c*tau {
			break
		}
	}
	if tau < 0.5 {
		tau = 0.5
	}
	return Tau{
		Tau:      tau,
		Err:      tau * math.Sqrt(2*float64(2*w+1)/float64(n)),
		Window:   w,
		Reliable: w < n && float64(n) >= 50*tau,
	}
}

// MeanErr returns the mean of a correlated series and its standard error
// √(2τ_int σ²/n).
func MeanErr(x []float64, tau float64) (mean, err float64) {
	n := float64(len(x))
	var s, s2 float64
	for _, v := range x {
		s += v
	}
	mean = s / n
	for _, v := range x {
		s2 += (v - mean) * (v - mean)
	}
	variance := s2 / (n - 1)
	return mean, math.Sqrt(2 * tau * variance / n)
}

// Jackknife estimates f over blocks of samples and returns f of all samples and
// the jackknife standard error. f receives the indices of the samples to use.
// Samples should be independent, or blocks longer than the autocorrelation time.
func Jackknife(n, blocks int, f func(idx []int) float64) (value, err float64) {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	value = f(all)
	if blocks > n {
		blocks = n
	}
	if blocks < 2 {
		return value, math.NaN()
	}
	est := make([]float64, blocks)
	idx := make([]int, 0, n)
	for b := 0; b < blocks; b++ {
		lo, hi := b*n/blocks, (b+1)*n/blocks
		idx = idx[:0]
		for i := 0; i < n; i++ {
			if i < lo || i >= hi {
				idx = append(idx, i)
			}
		}
		est[b] = f(idx)
	}
	var mean float64
	for _, e := range est {
		mean += e
	}
	mean /= float64(blocks)
	var v float64
	for _, e := range est {
		v += (e - mean) * (e - mean)
	}
	return value, math.Sqrt(float64(blocks-1) / float64(blocks) * v)
}
