package nrg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"gonum.org/v1/gonum/mat"
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

// The Metropolized independence sampler turns proposals from q into a chain
// whose states follow π: three states, q = (0.5, 0.3, 0.2), π = (0.2, 0.3,
// 0.5), 200,000 proposals.
func TestMetropolizeSamplesTarget(t *testing.T) {
	q, pi := []float64{0.5, 0.3, 0.2}, []float64{0.2, 0.3, 0.5}
	r := newRand(21)
	const n = 200000
	cat, lw, u := make([]int, n), make([]float64, n), make([]float64, n)
	for j := range cat {
		v := r.Float64()
		for cat[j] = 0; cat[j] < 2 && v >= q[cat[j]]; cat[j]++ {
			v -= q[cat[j]]
		}
		lw[j] = math.Log(pi[cat[j]]) - math.Log(q[cat[j]])
		u[j] = r.Float64()
	}
	states, accepted := Metropolize(lw, u)
	counts := make([]float64, 3)
	for _, s := range states {
		counts[cat[s]]++
	}
	for c := range counts {
		if got := counts[c] / n; math.Abs(got-pi[c]) > 0.01 {
			t.Errorf("state %d: chain frequency %.4f, want π = %.2f (proposed %.2f)", c, got, pi[c], q[c])
		}
	}
	if accepted == 0 || accepted == n-1 {
		t.Errorf("accepted %d of %d: the test needs rejections and acceptances", accepted, n-1)
	}
}

// IsingEnergy of a field of large magnitude is the energy of its signs:
// −2 per site for an ordered lattice, +2 for a checkerboard, 0 for stripes
// of width one along x (the vertical bonds satisfied, the horizontal not).
func TestIsingEnergyOfSigns(t *testing.T) {
	tg, err := NewTarget(4, 2.3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sign func(x, y int) float64
		want float64
	}{
		{"ordered", func(x, y int) float64 { return 1 }, -2},
		{"checkerboard", func(x, y int) float64 { return float64(1 - 2*((x+y)%2)) }, 2},
		{"stripes", func(x, y int) float64 { return float64(1 - 2*(x%2)) }, 0},
	} {
		x := make([]float64, tg.N)
		for i := range x {
			x[i] = 40 * c.sign(i%4, i/4)
		}
		if got := tg.IsingEnergy(x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// IsingEnergy's mean over the dual's Boltzmann distribution is the Ising
// energy per site: every spin configuration s of the 4×4 lattice (weighted
// by e^(−E(s)/T)) and fields x drawn given it, x ~ N(A s, A) with A = K + αI,
// give Kaufman's exact energy within the sampling error.
func TestIsingEnergyMeanIsExact(t *testing.T) {
	const L, T, draws = 4, 2.5, 32
	tg, err := NewTarget(L, T)
	if err != nil {
		t.Fatal(err)
	}
	N := tg.N
	A := mat.NewSymDense(N, nil)
	for i := 0; i < N; i++ {
		x, y := i%L, i/L
		for _, j := range []int{y*L + (x+1)%L, ((y+1)%L)*L + x} {
			A.SetSym(i, j, A.At(i, j)+1/T)
		}
		A.SetSym(i, i, tg.Alpha)
	}
	var ch mat.Cholesky
	if !ch.Factorize(A) {
		t.Fatal("K + αI is not positive definite")
	}
	var U mat.TriDense
	ch.UTo(&U)
	a, ut := make([]float64, N*N), make([]float64, N*N) // A and Uᵀ, row-major
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			a[i*N+j], ut[i*N+j] = A.At(i, j), U.At(j, i)
		}
	}
	as := make([]float64, N)
	r := newRand(22)
	s, xi, x := make([]float64, N), make([]float64, N), make([]float64, N)
	var z, sum, sum2 float64 // Σ p, Σ p·ē(s), Σ p²·var(s)/draws
	for c := 0; c < 1<<N; c++ {
		var es float64
		for i := range s {
			s[i] = float64(2*(c>>i&1) - 1)
		}
		for i := range s {
			es -= s[i] * (s[i/L*L+(i%L+1)%L] + s[(i/L+1)%L*L+i%L])
		}
		p := math.Exp(-es / T)
		for i := range as {
			as[i] = 0
			for j, sj := range s {
				as[i] += a[i*N+j] * sj
			}
		}
		var m, m2 float64
		for range draws {
			// x = A s + Uᵀ ξ, A = Uᵀ U.
			for i := range xi {
				xi[i] = r.NormFloat64()
			}
			for i := 0; i < N; i++ {
				v := as[i]
				for j := 0; j <= i; j++ { // Uᵀ is lower triangular
					v += ut[i*N+j] * xi[j]
				}
				x[i] = v
			}
			e := tg.IsingEnergy(x)
			m += e / draws
			m2 += e * e / draws
		}
		z += p
		sum += p * m
		sum2 += p * p * (m2 - m*m) / (draws - 1)
	}
	got, se, want := sum/z, math.Sqrt(sum2)/z, exact.Energy(L, T)
	t.Logf("e = %.5f ± %.5f, exact %.5f", got, se, want)
	if math.Abs(got-want) > 4*se || se > 0.01 {
		t.Errorf("mean IsingEnergy %.5f ± %.5f, exact energy per site %.5f", got, se, want)
	}
}
