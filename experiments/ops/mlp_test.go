package ops

import (
	"math"
	"testing"
)

// The thermometer-of-coarse-lattices path on a small case: thermometers for
// 8×8 and 4×4 lattices read Monte Carlo data hotter where it is hotter, a
// majority-rule step of the 8×8 data is read by the 4×4 thermometer, and the
// readings stack into one table that pick and growth read.
func TestCoarseThermometerPath(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  s8: {op: ising.sample, params: {size: 8, temperatures: [1.5, 2.5, 4.0], samples: 300, equilibrate: 100, pilot: 100}}
  s4: {op: ising.sample, params: {size: 4, temperatures: [1.5, 2.5, 4.0], samples: 300, equilibrate: 100, pilot: 100}}
  t8: {op: mlp.train, inputs: {spins: s8.spins, meta: s8.meta}, params: {hidden: [16], epochs: 30}}
  t4: {op: mlp.train, inputs: {spins: s4.spins, meta: s4.meta}, params: {hidden: [16], epochs: 30}}
  read8: {op: mlp.temperature, inputs: {model: t8.model, classes: s8.meta, data: s8.spins, meta: [s8.meta]}}
  coarse: {op: rg.block, inputs: {spins: s8.spins}, params: {rule: majority}}
  read4: {op: mlp.temperature, inputs: {model: t4.model, classes: s4.meta, data: coarse}}
  both: {op: table.stack, inputs: {tables: [read8, read4]}, params: {column: level, values: [0, 1]}}
  pick: {op: table.pick, inputs: {table: both}, params: {x: level, at: 1, y: t_mean, err: t_se, by: set, by_value: 2}}
  growth: {op: series.growth, inputs: {series: read8}, params: {x: set, y: t_mean}}
  exact8: {op: ising.energy_temperature, inputs: {data: s8.spins, meta: [s8.meta]}}
profiles: {quick: {}, paper: {}}
`)
	r8 := outputTable(t, c, plan, sum, "t/read8", "temperature")
	tm, _ := r8.Col("t_mean")
	if T, _ := r8.Col("T"); len(T) != 3 || T[2] != 4 {
		t.Errorf("the sets' temperatures %v, want those of meta", T)
	}
	if len(tm) != 3 || !(tm[0] < tm[1] && tm[1] < tm[2]) {
		t.Errorf("the 8×8 thermometer reads %v at T = 1.5, 2.5, 4.0: want increasing", tm)
	}
	// The exact thermometer reads Monte Carlo samples at their own temperature,
	// within a few standard errors.
	ex := outputTable(t, c, plan, sum, "t/exact8", "temperature")
	et, _ := ex.Col("t_mean")
	ese, _ := ex.Col("t_se")
	for i, want := range []float64{1.5, 2.5, 4.0} {
		if math.Abs(et[i]-want) > 5*ese[i] || ese[i] > 0.2 {
			t.Errorf("exact thermometer at T = %v reads %.3f ± %.3f", want, et[i], ese[i])
		}
	}
	both := outputTable(t, c, plan, sum, "t/both", "table")
	lv, _ := both.Col("level")
	bt, _ := both.Col("t_mean")
	if len(lv) != 6 || lv[0] != 0 || lv[5] != 1 {
		t.Fatalf("stacked levels %v", lv)
	}
	if p := scalars(t, c, plan, sum, "t/pick")["value"]; p.Value != bt[5] || p.Err <= 0 {
		t.Errorf("pick read %v ± %v, want the last row's %v with its error", p.Value, p.Err, bt[5])
	}
	if g := scalars(t, c, plan, sum, "t/growth")["factor"]; !(g.Value > 1) {
		t.Errorf("growth factor of the readings over the sets %v, want > 1", g.Value)
	}
}
