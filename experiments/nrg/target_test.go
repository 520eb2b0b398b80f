package nrg

import (
	"math"
	"math/rand/v2"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// The shift between the continuous and the Ising ln Z for L = 16 at Tc, and
// the loss floor, as quoted for NeuralRG (FIGURES.md).
func TestShiftAtTc(t *testing.T) {
	tc := 2 / math.Log(1+math.Sqrt2)
	tg, err := NewTarget(16, tc)
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.Shift(); math.Abs(got-354.23348322) > 1e-6 {
		t.Errorf("shift = %.8f, want 354.23348322", got)
	}
	if got := -tg.LogZ(); math.Abs(got-(-592.876)) > 1e-3 {
		t.Errorf("-ln Z = %.4f, want -592.876", got)
	}
}

// The energy's gradient matches finite differences, and E is the stated form.
func TestEnergyGradient(t *testing.T) {
	tg, err := NewTarget(4, 2.5)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, tg.N)
	for i := range x {
		x[i] = math.Sin(float64(3*i+1)) * 1.5
	}
	g := make([]float64, tg.N)
	tg.Energy(x, g)
	for i := range x {
		h := 1e-6
		x[i] += h
		ep := tg.Energy(x, nil)
		x[i] -= 2 * h
		em := tg.Energy(x, nil)
		x[i] += h
		if fd := (ep - em) / (2 * h); math.Abs(fd-g[i]) > 1e-6 {
			t.Errorf("∂E/∂x_%d = %g, finite difference %g", i, g[i], fd)
		}
	}
}

// ∫ e^(−E) dx equals the exact Z: importance sampling from the Gaussian part
// of E on the 2×2... here 3×3 lattice (N = 9), where the estimate is precise.
func TestLogZByImportanceSampling(t *testing.T) {
	tg, err := NewTarget(3, 3.0)
	if err != nil {
		t.Fatal(err)
	}
	// Gaussian q = N(0, C) with C = K + αI: x = chol(C) u.
	N := tg.N
	C := make([]float64, N*N)
	// Invert M back by Gauss–Jordan on a copy (small N).
	a := append([]float64(nil), tg.M...)
	for i := 0; i < N; i++ {
		C[i*N+i] = 1
	}
	for c := 0; c < N; c++ {
		p := a[c*N+c]
		for j := 0; j < N; j++ {
			a[c*N+j] /= p
			C[c*N+j] /= p
		}
		for r := 0; r < N; r++ {
			if r != c {
				f := a[r*N+c]
				for j := 0; j < N; j++ {
					a[r*N+j] -= f * a[c*N+j]
					C[r*N+j] -= f * C[c*N+j]
				}
			}
		}
	}
	// Cholesky of C.
	Lc := make([]float64, N*N)
	for i := 0; i < N; i++ {
		for j := 0; j <= i; j++ {
			s := C[i*N+j]
			for k := 0; k < j; k++ {
				s -= Lc[i*N+k] * Lc[j*N+k]
			}
			if i == j {
				Lc[i*N+i] = math.Sqrt(s)
			} else {
				Lc[i*N+j] = s / Lc[j*N+j]
			}
		}
	}
	logDetC := 0.0
	for i := 0; i < N; i++ {
		logDetC += 2 * math.Log(Lc[i*N+i])
	}
	r := newRand(7)
	const n = 400000
	x, u := make([]float64, N), make([]float64, N)
	var sum, sum2 float64
	for s := 0; s < n; s++ {
		for i := range u {
			u[i] = r.NormFloat64()
		}
		for i := 0; i < N; i++ {
			x[i] = 0
			for k := 0; k <= i; k++ {
				x[i] += Lc[i*N+k] * u[k]
			}
		}
		// e^(−E) / N(x; 0, C) = (2π)^(N/2) det(C)^(1/2) Π cosh x_i.
		w := 0.0
		for i := range x {
			w += logCosh(x[i])
		}
		v := math.Exp(w)
		sum += v
		sum2 += v * v
	}
	mean := sum / n
	se := math.Sqrt((sum2/n - mean*mean) / n)
	logZ := math.Log(mean) + float64(N)/2*math.Log(2*math.Pi) + logDetC/2
	if d := logZ - tg.LogZ(); math.Abs(d) > 4*se/mean+1e-3 {
		t.Errorf("importance-sampled ln Z = %.5f ± %.5f, exact %.5f", logZ, se/mean, tg.LogZ())
	}
}
