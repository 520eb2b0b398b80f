package ops

import (
	"slices"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The Section IV chain on small Ising data at Tc: block spins, their
// correlator panels (each peaks inside its own block), their locality, and
// the panels of a stack's second layer.
func TestBlockSpinCorrelators(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  d: {op: ising.sample, params: {size: 16, temperatures: [2.269], samples: 400, equilibrate: 100, pilot: 100}}
  rg1: {op: rg.block, inputs: {spins: d.spins}}
  rg2: {op: rg.block, inputs: {spins: d.spins}, params: {steps: 2, rule: majority}}
  panels: {op: correlator.hidden_visible, inputs: {visible: d.spins, hidden: rg1}}
  loc: {op: correlator.locality, inputs: {panels: panels}}
  net: {op: rbm.train, inputs: {data: d.spins}, params: {hidden: [16, 4], epochs: 2}}
  h2: {op: rbm.activations, inputs: {model: net.model, data: d.spins}, params: {layer: 2}}
  net_panels: {op: correlator.hidden_visible, inputs: {visible: d.spins, hidden: h2}}
  first: {op: array.take, inputs: {array: rg2}, params: {start: 2, count: 3}}
  same: {op: scalars.ratio, inputs: {num: loc.summary, den: loc.summary}, params: {key_num: patch_sites}}
profiles: {quick: {}, paper: {}}
`)
	array := func(step string) *artifact.Array {
		t.Helper()
		n := mustLookup(plan, "t/"+step)
		data, err := c.GetBlob(sum.Results[n].Entry.Outputs[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		a, err := artifact.DecodeNPY(data)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		step  string
		dtype artifact.DType
		shape []int
	}{
		{"rg1", artifact.Float32, []int{1, 400, 8, 8}},
		{"rg2", artifact.Int8, []int{1, 400, 4, 4}},
		{"panels", artifact.Float32, []int{64, 16, 16}},
		{"h2", artifact.Float32, []int{1, 400, 4}},
		{"net_panels", artifact.Float32, []int{4, 16, 16}},
		{"first", artifact.Int8, []int{3, 4, 4}},
	} {
		if a := array(tc.step); a.DType != tc.dtype || !slices.Equal(a.Shape, tc.shape) {
			t.Errorf("%s: %s %v, want %s %v", tc.step, a.DType, a.Shape, tc.dtype, tc.shape)
		}
	}
	if !slices.Equal(array("first").I8, array("rg2").I8[2*16:5*16]) {
		t.Error("array.take took other lattices")
	}
	for _, v := range array("rg2").I8 {
		if v != 1 && v != -1 {
			t.Fatalf("majority rule gave %d", v)
		}
	}
	// Block spin a = (bx, by) correlates most with the sites of its own block.
	loc := outputTable(t, c, plan, sum, "t/loc", "panels")
	col := func(name string) []float64 {
		for _, cl := range loc.Columns {
			if cl.Name == name {
				return cl.Values
			}
		}
		t.Fatalf("no column %s", name)
		return nil
	}
	px, py := col("peak_x"), col("peak_y")
	for a := range px {
		if bx, by := a%8, a/8; int(px[a])/2 != bx || int(py[a])/2 != by {
			t.Errorf("block spin %d (block %d,%d) peaks at (%v, %v)", a, bx, by, px[a], py[a])
		}
	}
	n := mustLookup(plan, "t/loc")
	data, err := c.GetBlob(sum.Results[n].Entry.Outputs[1].Digest)
	if err != nil {
		t.Fatal(err)
	}
	s, err := artifact.DecodeJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if s["ratio_median"].Value < 1.5 || s["single_patch"].Value < 0.75 {
		t.Errorf("RG panels not localized: median ratio %v, single patch %v", s["ratio_median"].Value, s["single_patch"].Value)
	}
	if r := scalars(t, c, plan, sum, "t/same")["ratio"]; r.Value != 1 || r.Err != 0 {
		t.Errorf("a ratio of a number to itself: %v ± %v", r.Value, r.Err)
	}
	t.Logf("RG 16→8 at Tc: median ratio %.2f, single patch %.2f", s["ratio_median"].Value, s["single_patch"].Value)
}
