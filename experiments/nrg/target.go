// Package nrg is the neural-network renormalization group of Li and Wang
// (PRL 121, 260601, 2018): a normalizing flow of Real NVP blocks arranged as a
// MERA over 2×2 plaquettes, trained by the reverse Kullback–Leibler
// divergence to the continuous dual of the 2-D Ising model, whose loss is a
// variational upper bound of −ln Z that this package computes exactly.
package nrg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/kadanoff/kadanoff/experiments/exact"
)

// Target is the continuous dual of the Ising model on a periodic L×L lattice
// at temperature T (J = 1):
//
//	E(x) = ½ xᵀ (K + αI)⁻¹ x − Σ_i ln cosh x_i,  K = adjacency / T,  α = 0.1 − λ_min(K),
//
// obtained from the Ising model by a Hubbard–Stratonovich transformation, so
// that ∫ e^(−E) dx = Z_Ising · e^(αN/2) (2π)^(N/2) det(K + αI)^(1/2) / 2^N.
type Target struct {
	L, N  int
	T     float64
	Alpha float64
	// M is (K + αI)⁻¹, row-major N×N.
	M []float64
	// logDet is ln det(K + αI).
	logDet float64
}

// NewTarget builds the dual of the L×L Ising model at temperature T.
func NewTarget(L int, T float64) (*Target, error) {
	if L < 2 || T <= 0 {
		return nil, fmt.Errorf("nrg: want L ≥ 2 and T > 0, got L = %d, T = %g", L, T)
	}
	N := L * L
	K := mat.NewSymDense(N, nil)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			i := y*L + x
			for _, j := range []int{y*L + (x+1)%L, ((y+1)%L)*L + x} {
				K.SetSym(i, j, K.At(i, j)+1/T)
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(K, false) {
		return nil, fmt.Errorf("nrg: eigendecomposition of K failed")
	}
	vals := eig.Values(nil)
	alpha := 0.1 - vals[0] // ascending
	for i := 0; i < N; i++ {
		K.SetSym(i, i, K.At(i, i)+alpha)
	}
	var ch mat.Cholesky
	if !ch.Factorize(K) {
		return nil, fmt.Errorf("nrg: K + αI is not positive definite")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, fmt.Errorf("nrg: %w", err)
	}
	t := &Target{L: L, N: N, T: T, Alpha: alpha, M: make([]float64, N*N), logDet: ch.LogDet()}
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			t.M[i*N+j] = inv.At(i, j)
		}
	}
	return t, nil
}

// Shift is ln Z_cont − ln Z_Ising = αN/2 + (N/2) ln 2π + ½ ln det(K + αI) − N ln 2.
func (t *Target) Shift() float64 {
	n := float64(t.N)
	return t.Alpha*n/2 + n/2*math.Log(2*math.Pi) + t.logDet/2 - n*math.Ln2
}

// LogZ is the exact ln ∫ e^(−E(x)) dx: Kaufman's ln Z of the finite Ising
// lattice plus Shift.
func (t *Target) LogZ() float64 { return exact.LogZ(t.L, 1/t.T) + t.Shift() }

// logCosh is ln cosh x without overflow.
func logCosh(x float64) float64 {
	a := math.Abs(x)
	return a + math.Log1p(math.Exp(-2*a)) - math.Ln2
}

// Energy returns E(x) and, when grad is not nil, stores ∂E/∂x in it.
func (t *Target) Energy(x, grad []float64) float64 {
	N := t.N
	var e float64
	for i := 0; i < N; i++ {
		mx := dot(t.M[i*N:(i+1)*N], x)
		e += 0.5*x[i]*mx - logCosh(x[i])
		if grad != nil {
			grad[i] = mx - math.Tanh(x[i])
		}
	}
	return e
}

// dot is Σ a_i b_i over len(a) ≤ len(b), summed in four interleaved partial
// sums (which the processor overlaps) added at the end.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// IsingEnergy is the Ising model's energy per site averaged over the spins
// given the dual field x: given x the spins are independent with
// ⟨s_i⟩ = tanh x_i, so it is −(1/N) Σ_⟨ij⟩ tanh x_i tanh x_j (J = 1, the
// lattice's right and lower neighbours, L ≥ 3). Its mean over the dual's
// Boltzmann distribution is the Ising model's ⟨E⟩/N.
func (t *Target) IsingEnergy(x []float64) float64 {
	L := t.L
	th := make([]float64, len(x))
	for i, v := range x {
		th[i] = math.Tanh(v)
	}
	var e float64
	for y := 0; y < L; y++ {
		for c := 0; c < L; c++ {
			i := y*L + c
			e -= th[i] * (th[y*L+(c+1)%L] + th[((y+1)%L)*L+c])
		}
	}
	return e / float64(t.N)
}

// Metropolize runs the Metropolized independence sampler (Li & Wang's
// "Metropolized Independent Sampler") over a sequence of independent
// proposals with log importance weights lw[j] = ln π(x_j) − ln q(x_j): from
// state k it accepts proposal j with probability min(1, e^(lw[j] − lw[k])),
// deciding by u[j] (uniform on [0, 1)). The chain starts at proposal 0; it
// returns the state after each proposal (states[0] = 0) and how many of the
// later proposals were accepted. Detailed balance holds for any q that
// covers π, so the chain samples π however imperfect the proposals are.
func Metropolize(lw, u []float64) (states []int, accepted int) {
	states = make([]int, len(lw))
	k := 0
	for j := 1; j < len(lw); j++ {
		if math.Log(u[j]) < lw[j]-lw[k] {
			k = j
			accepted++
		}
		states[j] = k
	}
	return states, accepted
}
