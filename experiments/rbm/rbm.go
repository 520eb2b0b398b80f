// Package rbm trains restricted Boltzmann machines and stacks of them (deep
// belief networks) in float32 on the linalg GEMM, and runs them: RBM flows,
// hidden activations, receptive fields.
//
// Units are binary in one of two conventions: Spin (±1; the mean of a unit
// with field x is tanh x and P(+1) = σ(2x), as in Koch-Janusz/Ringel-style
// papers and paper 001) or Binary ({0, 1}; mean = P(1) = σ(x)). The energy is
// E(v, h) = −vᵀWh − bᵀv − cᵀh with W visible×hidden.
package rbm

import (
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// Units is the unit convention.
type Units string

// The conventions.
const (
	Spin   Units = "spin"
	Binary Units = "binary"
)

// Valid reports whether u is a known convention.
func (u Units) Valid() bool { return u == Spin || u == Binary }

// low is the "off" value of a unit.
func (u Units) low() float32 {
	if u == Spin {
		return -1
	}
	return 0
}

// RBM is one restricted Boltzmann machine.
type RBM struct {
	Units  Units
	NV, NH int
	W      linalg.Matrix // NV×NH
	B      []float32     // visible biases
	C      []float32     // hidden biases
}

// New returns an RBM with weights drawn from N(0, std²) and zero biases.
func New(nv, nh int, units Units, std float64, r *linalg.Rand) *RBM {
	m := &RBM{Units: units, NV: nv, NH: nh, W: linalg.NewMatrix(nv, nh), B: make([]float32, nv), C: make([]float32, nh)}
	for i := range m.W.Data {
		m.W.Data[i] = float32(std * r.Normal())
	}
	return m
}

// Machine is the workspace of an RBM: its GEMM and scratch.
type Machine struct {
	*RBM
	Gemm *linalg.Gemm
	Rand *linalg.Rand
}

// addRowVector adds v to every row of m.
func addRowVector(m linalg.Matrix, v []float32) {
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] += v[j]
		}
	}
}

// HiddenField sets x = v·W + c for a batch v (n×NV) into x (n×NH).
func (m *Machine) HiddenField(v, x linalg.Matrix) {
	m.Gemm.Mul(linalg.NoTrans, linalg.NoTrans, 1, v, m.W, 0, x)
	addRowVector(x, m.C)
}

// VisibleField sets x = h·Wᵀ + b for a batch h (n×NH) into x (n×NV).
func (m *Machine) VisibleField(h, x linalg.Matrix) {
	m.Gemm.Mul(linalg.NoTrans, linalg.Trans, 1, h, m.W, 0, x)
	addRowVector(x, m.B)
}

// prob turns fields into P(unit on), in place.
func (u Units) prob(x []float32) {
	if u == Spin {
		linalg.SigmoidScaled(x, x, 2)
	} else {
		linalg.Sigmoid(x, x)
	}
}

// meanFromProb turns P(on) into the mean activation, in place.
func (u Units) meanFromProb(p []float32) {
	if u == Spin {
		for i, v := range p {
			p[i] = 2*v - 1
		}
	}
}

// sample draws units from P(on) p into dst.
func (u Units) sample(dst, p []float32, r *linalg.Rand) {
	if u == Spin {
		linalg.BernoulliSpin(dst, p, r)
	} else {
		linalg.Bernoulli(dst, p, r)
	}
}

// Hidden computes the hidden layer of a batch v: the mean activations into
// mean and, when sample has rows, a sample into it.
func (m *Machine) Hidden(v, mean, sample linalg.Matrix) {
	m.HiddenField(v, mean)
	m.Units.prob(mean.Data)
	if sample.Rows > 0 {
		m.Units.sample(sample.Data, mean.Data, m.Rand)
	}
	m.Units.meanFromProb(mean.Data)
}

// Visible computes the visible layer of a batch h, as Hidden does.
func (m *Machine) Visible(h, mean, sample linalg.Matrix) {
	m.VisibleField(h, mean)
	m.Units.prob(mean.Data)
	if sample.Rows > 0 {
		m.Units.sample(sample.Data, mean.Data, m.Rand)
	}
	m.Units.meanFromProb(mean.Data)
}

// FreeEnergy returns F(v) = −bᵀv − Σ_j log Σ_{h_j} e^{h_j x_j} for each row of
// v, where x = vW + c: the sum over h_j ∈ {0, 1} is 1 + e^x (softplus), over
// {±1} it is 2 cosh x.
func (m *Machine) FreeEnergy(v linalg.Matrix) []float64 {
	x := linalg.NewMatrix(v.Rows, m.NH)
	m.HiddenField(v, x)
	f := make([]float64, v.Rows)
	for i := range f {
		var s float64
		for j, vi := range v.Row(i) {
			s -= float64(m.B[j]) * float64(vi)
		}
		for _, xj := range x.Row(i) {
			s -= logPartition(m.Units, float64(xj))
		}
		f[i] = s
	}
	return f
}

// logPartition returns log Σ_{h ∈ units} e^{h x}, computed stably.
func logPartition(u Units, x float64) float64 {
	ax := math.Abs(x)
	if u == Spin {
		return ax + math.Log1p(math.Exp(-2*ax)) // log 2cosh x
	}
	return math.Max(x, 0) + math.Log1p(math.Exp(-ax)) // softplus
}

// check returns an error when data does not fit the machine's visible layer.
func (m *RBM) check(v linalg.Matrix) error {
	if v.Cols != m.NV {
		return fmt.Errorf("rbm: data has %d visible units, the machine %d", v.Cols, m.NV)
	}
	return nil
}
