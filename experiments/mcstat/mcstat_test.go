package mcstat

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ar1 returns an AR(1) series x_t = a x_{t-1} + noise, whose integrated
// autocorrelation time is ½(1+a)/(1−a).
func ar1(n int, a float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := 1; i < n; i++ {
		x[i] = a*x[i-1] + rng.NormFloat64()
	}
	return x
}

func TestIntegratedTimeAR1(t *testing.T) {
	for _, a := range []float64{0, 0.5, 0.9, 0.98} {
		want := 0.5 * (1 + a) / (1 - a)
		got := IntegratedTime(ar1(400000, a, 7), 6)
		if math.Abs(got.Tau-want) > 4*got.Err+0.02*want {
			t.Errorf("a=%v: τ = %.3f ± %.3f, want %.3f", a, got.Tau, got.Err, want)
		}
		if !got.Reliable {
			t.Errorf("a=%v: long series marked unreliable", a)
		}
	}
	if IntegratedTime(ar1(100, 0.99, 1), 6).Reliable {
		t.Error("short series of a slow process marked reliable")
	}
}

// The error of the mean from τ_int covers the true mean (0) at the stated rate.
func TestMeanErrCoverage(t *testing.T) {
	inside := 0
	const trials = 400
	for s := 0; s < trials; s++ {
		x := ar1(5000, 0.8, uint64(s)+100)
		tau := IntegratedTime(x, 6)
		m, e := MeanErr(x, tau.Tau)
		if math.Abs(m) < e {
			inside++
		}
	}
	// One standard error covers 68%; allow for the binomial spread (±2.3%).
	if frac := float64(inside) / trials; frac < 0.60 || frac > 0.76 {
		t.Errorf("1σ coverage %.2f, want about 0.68", frac)
	}
}

func TestJackknifeMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float64, 1000)
	for i := range x {
		x[i] = rng.NormFloat64()*2 + 1
	}
	mean := func(idx []int) float64 {
		var s float64
		for _, i := range idx {
			s += x[i]
		}
		return s / float64(len(idx))
	}
	v, e := Jackknife(len(x), len(x), mean)
	_, want := MeanErr(x, 0.5)
	if math.Abs(e-want) > 1e-9 {
		t.Errorf("jackknife error of the mean %v, want %v (they agree exactly)", e, want)
	}
	if math.Abs(v-1) > 4*e {
		t.Errorf("mean %v", v)
	}
}
