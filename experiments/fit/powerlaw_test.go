package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Synthetic data with a known Δ: the fit recovers it within its error, and the
// errors are calibrated (about 68% of trials within 1σ).
func TestFitPowerLawSynthetic(t *testing.T) {
	for _, delta := range []float64{0.125, 1} {
		rng := rand.New(rand.NewPCG(1, uint64(delta*8)))
		inside := 0
		const trials = 300
		for tr := 0; tr < trials; tr++ {
			var x, y, s []float64
			for r := 1.0; r <= 8; r += 0.5 {
				m := 0.7 * math.Pow(r, -2*delta)
				sig := 0.02 * m
				x, y, s = append(x, r), append(y, m+sig*rng.NormFloat64()), append(s, sig)
			}
			f, err := FitPowerLaw(x, y, s)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(f.Delta-delta) > 5*f.DeltaErr {
				t.Fatalf("Δ = %v ± %v, want %v", f.Delta, f.DeltaErr, delta)
			}
			if math.Abs(f.Delta-delta) < f.DeltaErr {
				inside++
			}
		}
		if frac := float64(inside) / trials; frac < 0.6 || frac > 0.78 {
			t.Errorf("Δ=%v: 1σ coverage %.2f, want about 0.68", delta, frac)
		}
	}
}

func TestFitPowerLawExactAndErrors(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	y := make([]float64, 4)
	s := []float64{0.01, 0.01, 0.01, 0.01}
	for i := range x {
		y[i] = 2 * math.Pow(x[i], -0.5)
	}
	f, err := FitPowerLaw(x, y, s)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.A-2) > 1e-6 || math.Abs(f.Delta-0.25) > 1e-6 || f.Chi2 > 1e-9 {
		t.Errorf("fit %+v", f)
	}
	// A point with negative y (noise at large r) does not break the fit.
	y[3] = -0.001
	if _, err := FitPowerLaw(x, y, s); err != nil {
		t.Errorf("negative point: %v", err)
	}
	if _, err := FitPowerLaw(x[:2], y[:2], s[:2]); err == nil {
		t.Error("two points: no error")
	}
	if _, err := FitPowerLaw([]float64{0, 1, 2}, y[:3], s[:3]); err == nil {
		t.Error("x = 0: no error")
	}
}
