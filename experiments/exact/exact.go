// Package exact gives exact results for the two-dimensional Ising model with
// J = 1 and k_B = 1: the partition function of the periodic L×L lattice
// (Kaufman 1949), from which the energy and specific heat per site follow at
// any temperature and size, and the infinite-lattice critical point and
// spontaneous magnetization (Onsager, Yang). These are the oracles the Monte
// Carlo samplers are tested against.
package exact

import (
	"math"

	"gonum.org/v1/gonum/diff/fd"
)

// Tc is the critical temperature 2/ln(1+√2) of the square lattice.
var Tc = 2 / math.Log(1+math.Sqrt2)

// Critical exponents and scaling dimensions of the 2-D Ising universality class.
const (
	Beta       = 1.0 / 8 // magnetization exponent β
	Nu         = 1.0     // correlation-length exponent ν
	Eta        = 1.0 / 4 // anomalous dimension η
	DeltaSigma = 1.0 / 8 // scaling dimension of the spin field
	DeltaEps   = 1.0     // scaling dimension of the energy field
)

// Magnetization returns Onsager's spontaneous magnetization per site of the
// infinite lattice, [1 − sinh(2/T)^(−4)]^(1/8) below Tc and 0 above.
func Magnetization(T float64) float64 {
	if T >= Tc {
		return 0
	}
	s := math.Sinh(2 / T)
	return math.Pow(1-1/(s*s*s*s), 0.125)
}

// LogZ returns ln Z of the periodic L×L Ising model at inverse temperature
// beta (J = 1, h = 0), by Kaufman's formula
//
//	Z = ½ (2 sinh 2K)^(L²/2) (Z₁ + Z₂ + Z₃ + Z₄),
//	Z₁ = Π_{r=0}^{L−1} 2cosh(L γ_{2r+1}/2),  Z₂ = Π 2sinh(L γ_{2r+1}/2),
//	Z₃ = Π_{r=0}^{L−1} 2cosh(L γ_{2r}/2),    Z₄ = Π 2sinh(L γ_{2r}/2),
//
// with K = beta, cosh γ_k = cosh 2K cosh 2K* − cos(πk/L) for k ≥ 1, the dual
// coupling tanh K* = e^(−2K), and γ₀ = 2K + ln tanh K (negative above Tc, which
// makes Z₄ negative). Each product is summed in log space with its sign, so the
// result is accurate for lattices far larger than 128×128.
func LogZ(L int, beta float64) float64 {
	K := beta
	c2k := math.Cosh(2 * K)
	// cosh 2K* = 1/tanh 2K, since sinh 2K sinh 2K* = 1.
	c2ks := 1 / math.Tanh(2*K)
	gamma := func(k int) float64 {
		if k%(2*L) == 0 {
			return 2*K + math.Log(math.Tanh(K))
		}
		return math.Acosh(c2k*c2ks - math.Cos(math.Pi*float64(k)/float64(L)))
	}
	type term struct {
		log  float64
		sign float64
	}
	var terms [4]term
	for i := range terms {
		terms[i].sign = 1
	}
	for r := 0; r < L; r++ {
		odd := float64(L) * gamma(2*r+1) / 2
		even := float64(L) * gamma(2*r) / 2
		terms[0].log += logTwoCosh(odd)
		l, s := logTwoSinh(odd)
		terms[1].log += l
		terms[1].sign *= s
		terms[2].log += logTwoCosh(even)
		l, s = logTwoSinh(even)
		terms[3].log += l
		terms[3].sign *= s
	}
	top := math.Inf(-1)
	for _, t := range terms {
		top = math.Max(top, t.log)
	}
	var sum float64
	for _, t := range terms {
		if !math.IsInf(t.log, -1) {
			sum += t.sign * math.Exp(t.log-top)
		}
	}
	N := float64(L * L)
	return -math.Ln2 + N/2*math.Log(2*math.Sinh(2*K)) + top + math.Log(sum)
}

// logTwoCosh returns ln(2 cosh x) without overflow.
func logTwoCosh(x float64) float64 {
	a := math.Abs(x)
	return a + math.Log1p(math.Exp(-2*a))
}

// logTwoSinh returns ln|2 sinh x| and the sign of sinh x (−Inf, +1 for x = 0).
func logTwoSinh(x float64) (float64, float64) {
	a := math.Abs(x)
	if a == 0 {
		return math.Inf(-1), 1
	}
	sign := 1.0
	if x < 0 {
		sign = -1
	}
	return a + math.Log(-math.Expm1(-2*a)), sign
}

// Energy returns the mean energy per site ⟨E⟩/L² = −(1/L²) ∂ ln Z/∂β of the
// periodic L×L lattice at temperature T.
func Energy(L int, T float64) float64 {
	f := func(b float64) float64 { return LogZ(L, b) }
	return -fd.Derivative(f, 1/T, &fd.Settings{Formula: fd.Central}) / float64(L*L)
}

// SpecificHeat returns the specific heat per site β² ∂² ln Z/∂β² / L² of the
// periodic L×L lattice at temperature T.
func SpecificHeat(L int, T float64) float64 {
	f := func(b float64) float64 { return LogZ(L, b) }
	beta := 1 / T
	return beta * beta * fd.Derivative(f, beta, &fd.Settings{Formula: fd.Central2nd}) / float64(L*L)
}

// EnergyLevels returns the number of configurations of each total energy
// E = −Σ_⟨ij⟩ s_i s_j of the periodic L×L lattice, by enumeration. It is meant
// for tests of samplers on tiny lattices and panics for L > 5.
func EnergyLevels(L int) map[int]float64 {
	if L > 5 {
		panic("exact: enumeration beyond 5×5 is too large")
	}
	N := L * L
	levels := map[int]float64{}
	for s := 0; s < 1<<N; s++ {
		spin := func(x, y int) int {
			return 2*((s>>(((y%L)*L)+x%L))&1) - 1
		}
		E := 0
		for y := 0; y < L; y++ {
			for x := 0; x < L; x++ {
				E -= spin(x, y) * (spin(x+1, y) + spin(x, y+1))
			}
		}
		levels[E]++
	}
	return levels
}
