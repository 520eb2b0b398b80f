package ops

import (
	"math"
	"testing"
)

// Reconstructions through a binary stack, compared with their data; an array
// compared with itself is identical; the norm of a ±1 lattice is its side.
func TestReconstructCompareNorms(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  d: {op: ising.sample, params: {size: 8, temperatures: [2.269], samples: 300, equilibrate: 100, pilot: 100}}
  net: {op: rbm.train, inputs: {data: d.spins}, params: {hidden: [16, 4], units: binary, epochs: 40, lr: 0.05}}
  rec: {op: rbm.reconstruct, inputs: {model: net.model, data: d.spins}, params: {layers: 1}}
  same: {op: array.compare, inputs: {a: d.spins, b: d.spins}}
  vs: {op: array.compare, inputs: {a: d.spins, b: rec}}
  board: {op: pattern.checkerboard, params: {size: 8, block: 2}}
  norms: {op: array.norms, inputs: {array: board}}
profiles: {quick: {}, paper: {}}
`)
	same := scalars(t, c, plan, sum, "t/same")
	if same["r"].Value != 1 || same["rmse"].Value != 0 || same["abs_m_ratio"].Value != 1 {
		t.Errorf("an array against itself: %v", same)
	}
	vs := scalars(t, c, plan, sum, "t/vs")
	if r := vs["r"].Value; !(r > 0.2 && r < 1) || vs["rmse"].Value <= 0 {
		t.Errorf("data against its reconstruction: r %v, rmse %v", r, vs["rmse"].Value)
	}
	n := scalars(t, c, plan, sum, "t/norms")
	if math.Abs(n["norm_max"].Value-8) > 1e-12 || n["dead"].Value != 0 || math.Abs(n["coverage_median"].Value-1) > 1e-12 {
		t.Errorf("a ±1 8×8 lattice: norm %v (want 8), dead %v, coverage %v (want 1)", n["norm_max"].Value, n["dead"].Value, n["coverage_median"].Value)
	}
}
