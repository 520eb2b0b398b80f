package ising

import (
	"math"

	"github.com/kadanoff/kadanoff/experiments/mcstat"
)

// Estimate is a value with its standard error.
type Estimate struct{ Value, Err float64 }

// Observables are thermodynamic averages with jackknife errors.
type Observables struct {
	E    Estimate // energy per site ⟨e⟩
	AbsM Estimate // ⟨|m|⟩
	M2   Estimate // ⟨m²⟩
	U4   Estimate // Binder cumulant 1 − ⟨m⁴⟩/(3⟨m²⟩²)
	C    Estimate // specific heat per site β²N(⟨e²⟩ − ⟨e⟩²)
	Chi  Estimate // susceptibility per site βN(⟨m²⟩ − ⟨|m|⟩²)
}

// Measure computes observables at temperature T of a lattice of n sites from
// per-sample energies e and magnetizations m (per site). Errors come from a
// jackknife over `blocks` consecutive blocks, which also absorbs residual
// autocorrelation shorter than a block.
func Measure(e, m []float64, n int, T float64, blocks int) Observables {
	beta := 1 / T
	N := float64(n)
	moments := func(idx []int) (e1, e2, am, m2, m4 float64) {
		for _, i := range idx {
			e1 += e[i]
			e2 += e[i] * e[i]
			am += math.Abs(m[i])
			q := m[i] * m[i]
			m2 += q
			m4 += q * q
		}
		k := float64(len(idx))
		return e1 / k, e2 / k, am / k, m2 / k, m4 / k
	}
	jk := func(f func(e1, e2, am, m2, m4 float64) float64) Estimate {
		v, err := mcstat.Jackknife(len(e), blocks, func(idx []int) float64 { return f(moments(idx)) })
		return Estimate{v, err}
	}
	return Observables{
		E:    jk(func(e1, _, _, _, _ float64) float64 { return e1 }),
		AbsM: jk(func(_, _, am, _, _ float64) float64 { return am }),
		M2:   jk(func(_, _, _, m2, _ float64) float64 { return m2 }),
		U4:   jk(func(_, _, _, m2, m4 float64) float64 { return 1 - m4/(3*m2*m2) }),
		C:    jk(func(e1, e2, _, _, _ float64) float64 { return beta * beta * N * (e2 - e1*e1) }),
		Chi:  jk(func(_, _, am, m2, _ float64) float64 { return beta * N * (m2 - am*am) }),
	}
}
