package ops

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/ising"
	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mlp"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// build plans and builds a spec with this package's ops and returns the cache
// and results.
func build(t *testing.T, src string) (*cache.Cache, *pipeline.Plan, *pipeline.Summary) {
	t.Helper()
	s, err := spec.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reg := pipeline.NewRegistry(All()...)
	plan, err := pipeline.NewPlan([]*spec.Spec{s}, reg, "quick")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.Open(t.TempDir())
	sum := (&pipeline.Builder{Cache: c, Executor: &pipeline.Local{Registry: reg, Store: c}, Jobs: 2}).Build(context.Background(), plan, plan.Nodes)
	if sum.Failed > 0 {
		for _, r := range sum.Results {
			if r.Err != nil && !errors.Is(r.Err, pipeline.ErrNotRun) {
				t.Fatalf("%s: %v", r.Node.ID, r.Err)
			}
		}
	}
	return c, plan, sum
}

func scalars(t *testing.T, c *cache.Cache, plan *pipeline.Plan, sum *pipeline.Summary, step string) artifact.Scalars {
	n, _ := plan.Lookup(step)
	out := sum.Results[n].Entry.Outputs[0] // the first output, or the one named summary
	for _, o := range sum.Results[n].Entry.Outputs {
		if o.Name == "summary" {
			out = o
		}
	}
	data, err := c.GetBlob(out.Digest)
	if err != nil {
		t.Fatal(err)
	}
	s, err := artifact.DecodeJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A 4×4 checkerboard with 2×2 blocks has G(r) = 1, 0, -1 ... and the level op
// finds where it crosses zero.
func TestLevelOnKnownCurve(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  board: {op: pattern.checkerboard, params: {size: 8, block: 4}}
  g: {op: correlator.panel_g, inputs: {panels: board}, params: {bin_width: 1}}
  lvl: {op: series.level, inputs: {series: g}, params: {x: r, y: g, level: 0, at: 0}}
profiles: {quick: {}, paper: {}}
`)
	s := scalars(t, c, plan, sum, "lvl")
	// G falls from 1 at r = 0 to -1 at r = 4 (the opposite block), so it crosses 0 once.
	if s["crossings"].Value != 1 || s["y_at"].Value != 1 {
		t.Fatalf("level summary %+v", s)
	}
	if x := s["first_crossing"].Value; x < 1.5 || x > 2.5 {
		t.Errorf("crossing at r = %v, want about 2", x)
	}
}

// At T = 1.0 the 8×8 lattice is ordered (Δσ ≈ 0); at T = 6 correlations die
// within a site or two (large Δσ).
func TestScalingDimensionOrdering(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 8, temperatures: [1.5, 6], samples: 300, equilibrate: 100, pilot: 200}}
  d: {op: ising.scaling_dimension, inputs: {spins: mc.spins, meta: mc.meta}, params: {field: spin, bootstrap: 20}}
profiles: {quick: {}, paper: {}}
`)
	n, _ := plan.Lookup("d")
	data, _ := c.GetBlob(sum.Results[n].Entry.Outputs[0].Digest)
	tab, err := artifact.DecodeCSV(data)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := tab.Col("delta")
	e, _ := tab.Col("delta_err")
	if len(d) != 2 || math.Abs(d[0]) > 0.05 || d[1] < 0.8 || e[1] <= 0 {
		t.Fatalf("Δσ = %v ± %v, want ≈0 at T=1.5 and large at T=6", d, e)
	}
}

// The three samplers agree: at each of 20 temperatures (two multi-spin
// groups) the sampled energy lies within 4σ of the exact finite-lattice value.
// The grid starts at 1.6: below, excitations are so rare in 400 samples that
// the error estimate itself is unreliable (a one-event count).
func TestSampleAlgorithmsAgreeWithExact(t *testing.T) {
	for _, alg := range []string{"wolff", "metropolis", "multispin"} {
		t.Run(alg, func(t *testing.T) {
			c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 6, temperatures: {from: 1.6, to: 5.4, step: 0.2}, samples: 400, equilibrate: 200, pilot: 200, algorithm: `+alg+`}}
profiles: {quick: {}, paper: {}}
`)
			n, _ := plan.Lookup("mc")
			data, _ := c.GetBlob(sum.Results[n].Entry.Outputs[2].Digest)
			tab, err := artifact.DecodeCSV(data)
			if err != nil {
				t.Fatal(err)
			}
			T, _ := tab.Col("T")
			e, _ := tab.Col("e")
			se, _ := tab.Col("e_err")
			ex, _ := tab.Col("e_exact")
			if len(T) != 20 {
				t.Fatalf("%d temperatures", len(T))
			}
			bad := 0
			for i := range T {
				if math.Abs(e[i]-ex[i]) > 4*se[i] {
					bad++
					t.Logf("T=%.1f: e = %.4f ± %.4f, exact %.4f", T[i], e[i], se[i], ex[i])
				}
			}
			if bad > 0 {
				t.Errorf("%d of 20 temperatures off by more than 4σ", bad)
			}
		})
	}
}

// A spec that samples 10×10 configurations, trains an RBM on them, flows
// them, and trains a thermometer that reads the flow. The thermometer puts at
// least 90% of held-out samples within one temperature class (chance: 34%),
// within 0.04 of the energy classifier, the bound (100 epochs).
func TestLearningSpec(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 10, temperatures: {from: 1.0, to: 4.0, step: 0.5}, samples: 1000, equilibrate: 200, pilot: 200}}
  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [64, 16], epochs: 4, batch: 50, lr: 0.01, persistent: true}}
  flow: {op: rbm.flow, inputs: {model: rbm.model, data: mc.spins}, params: {steps: 3}}
  fields: {op: rbm.receptive_fields, inputs: {model: rbm.model}, params: {layer: 2}}
  thermo: {op: mlp.train, inputs: {spins: mc.spins, meta: mc.meta}, params: {hidden: [80], epochs: 100, lr: 0.003, lr_final: 0.0001, validation: 0.4}}
  read: {op: mlp.predict, inputs: {model: thermo.model, data: flow.flow}}
profiles: {quick: {}, paper: {}}
`)
	get := func(step string, out int) []byte {
		n, _ := plan.Lookup(step)
		data, err := c.GetBlob(sum.Results[n].Entry.Outputs[out].Digest)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	s, err := artifact.DecodeJSON(get("thermo", 3))
	if err != nil {
		t.Fatal(err)
	}
	if cv, err := artifact.DecodeCSV(get("thermo", 1)); err == nil {
		ta, _ := cv.Col("train_accuracy")
		va, _ := cv.Col("valid_within_one")
		t.Logf("train accuracy by epoch: %.2f … %.2f %.2f; valid within one: %.2f … %.2f", ta[0], ta[len(ta)/2], ta[len(ta)-1], va[0], va[len(va)-1])
	}
	// The energy is a sufficient statistic of T: its classifier is the bound
	// (about 0.94 within ±1 class on this grid, 0.90 on 1.0…4.5).
	t.Logf("thermometer: validation accuracy %.3f, within one class %.3f, loss %.3f; energy classifier %.3f, %.3f, %.3f",
		s["valid_accuracy"].Value, s["valid_within_one"].Value, s["valid_loss"].Value, s["energy_accuracy"].Value, s["energy_within_one"].Value, s["energy_loss"].Value)
	if s["valid_within_one"].Value < 0.9 {
		t.Errorf("thermometer within ±1 class on %.1f%% of held-out samples, want ≥ 90%%", 100*s["valid_within_one"].Value)
	}
	if s["valid_within_one"].Value < s["energy_within_one"].Value-0.04 {
		t.Errorf("thermometer within ±1 class %.3f, more than 0.04 below the energy classifier's %.3f", s["valid_within_one"].Value, s["energy_within_one"].Value)
	}
	flow, err := artifact.DecodeNPY(get("flow", 0))
	if err != nil || len(flow.Shape) != 5 || flow.Shape[0] != 4 || flow.Shape[3] != 10 {
		t.Fatalf("flow: %v %v", err, flow.Shape)
	}
	fields, err := artifact.DecodeNPY(get("fields", 0))
	if err != nil || fields.Shape[0] != 16 || fields.Shape[1] != 10 {
		t.Fatalf("fields: %v %v", err, fields.Shape)
	}
	curve, err := artifact.DecodeCSV(get("rbm", 1))
	if err != nil {
		t.Fatal(err)
	}
	if layer, _ := curve.Col("layer"); len(layer) != 8 {
		t.Errorf("curve has %d rows, want 2 layers × 4 epochs", len(layer))
	}
	pred, err := artifact.DecodeCSV(get("read", 0))
	if err != nil {
		t.Fatal(err)
	}
	if set, _ := pred.Col("set"); len(set) != 4*7*7 {
		t.Errorf("prediction has %d rows, want 4 flow steps × 7 temperatures × 7 classes", len(set))
	}
}

// The energy classifier separates temperatures far apart and cannot separate
// two classes drawn at the same temperature (chance); the energy it reads is
// the lattice's (ground state −2N, checkerboard +2N).
func TestEnergyClassifier(t *testing.T) {
	const L, n = 8, 600
	sample := func(T float64, seed uint64) []int8 {
		run, err := ising.Sample(context.Background(), ising.Config{L: L, T: T, Algorithm: "wolff", Samples: n, Equilibrate: 100, Pilot: 100, Start: "auto"},
			rand.New(rand.NewPCG(seed, 1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return run.Spins
	}
	for _, c := range []struct {
		name             string
		temps            []float64
		min, max         float64
		minLoss, maxLoss float64 // same T: the posterior is near ½ (loss ln 2 = 0.693)
	}{{"far apart", []float64{1.2, 5}, 0.99, 1, 0, 0.05}, {"same T", []float64{2.5, 2.5}, 0.4, 0.6, 0.65, 0.8}} {
		x := linalg.NewMatrix(n*len(c.temps), L*L)
		labels := make([]int, x.Rows)
		for k, T := range c.temps {
			spins := sample(T, uint64(k+1))
			for s := 0; s < n; s++ {
				i := s*len(c.temps) + k
				labels[i] = k
				for j := range x.Row(i) {
					x.Row(i)[j] = float32(spins[s*L*L+j])
				}
			}
		}
		train, valid := mlp.Split(labels, 0.4)
		acc, within, loss := energyClassifier(x, L, L, labels, len(c.temps), train, valid)
		if acc < c.min || acc > c.max || within != 1 || loss < c.minLoss || loss > c.maxLoss {
			t.Errorf("%s: accuracy %.3f (want %.2f…%.2f), within one %.3f (want 1), loss %.3f (want %.2f…%.2f)",
				c.name, acc, c.min, c.max, within, loss, c.minLoss, c.maxLoss)
		}
	}
	// Ground state and checkerboard: classes 0 and 1 are told apart exactly.
	x := linalg.NewMatrix(4, L*L)
	for i := 0; i < 4; i++ {
		for y := 0; y < L; y++ {
			for xx := 0; xx < L; xx++ {
				v := float32(1)
				if i%2 == 1 && (y+xx)%2 == 1 {
					v = -1
				}
				x.Set(i, y*L+xx, v)
			}
		}
	}
	if acc, _, _ := energyClassifier(x, L, L, []int{0, 1, 0, 1}, 2, []int{0, 1}, []int{2, 3}); acc != 1 {
		t.Errorf("ground state vs checkerboard: accuracy %v", acc)
	}
}

// A panic in a worker goroutine of an op becomes that step's error instead of
// killing the process.
func TestParallelRecoversPanics(t *testing.T) {
	err := parallel(context.Background(), 2, 8, func(i int) error {
		if i == 5 {
			var m map[string]int
			m["boom"] = 1
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "panic in worker 5") || !strings.Contains(err.Error(), "nil map") {
		t.Fatalf("err = %v", err)
	}
}

// outputTable decodes the named output of a step.
func outputTable(t *testing.T, c *cache.Cache, plan *pipeline.Plan, sum *pipeline.Summary, step, output string) *artifact.Table {
	t.Helper()
	n, _ := plan.Lookup(step)
	for _, o := range sum.Results[n].Entry.Outputs {
		if o.Name == output {
			data, err := c.GetBlob(o.Digest)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := artifact.DecodeCSV(data)
			if err != nil {
				t.Fatal(err)
			}
			return tab
		}
	}
	t.Fatalf("%s has no output %s", step, output)
	return nil
}

// A flow's step 0 is the data: its ⟨|m|⟩ is the sampler's; the critical fit
// of the Monte Carlo magnetization below Tc finds a Tc above the data and a
// small positive β, and the sampled flow is stored as ±1 int8.
func TestFlowMagnetizationAndCriticalFit(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 8, temperatures: {from: 1.6, to: 2.2, step: 0.1}, samples: 400, equilibrate: 200, pilot: 200}}
  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [16], epochs: 2, batch: 50}}
  flow: {op: rbm.flow, inputs: {model: rbm.model, data: mc.spins}, params: {steps: 2}}
  m: {op: ising.flow_magnetization, inputs: {flow: flow, meta: mc.meta}}
  tc: {op: fit.critical, inputs: {series: m}, params: {temperatures: [1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2], at: 0, exact: 2.269185314213022, err: abs_m_err}}
profiles: {quick: {}, paper: {}}
`)
	m := outputTable(t, c, plan, sum, "m", "m")
	obs := outputTable(t, c, plan, sum, "mc", "observables")
	steps, _ := m.Col("step")
	absM, _ := m.Col("abs_m")
	want, _ := obs.Col("abs_m")
	if len(steps) != 3*7 {
		t.Fatalf("%d rows, want 3 steps × 7 temperatures", len(steps))
	}
	for i := 0; i < 7; i++ {
		if steps[i] != 0 || math.Abs(absM[i]-want[i]) > 1e-12 {
			t.Errorf("T[%d]: step 0 ⟨|m|⟩ = %v, the sampler says %v", i, absM[i], want[i])
		}
	}
	n, _ := plan.Lookup("flow")
	data, _ := c.GetBlob(sum.Results[n].Entry.Outputs[0].Digest)
	a, err := artifact.DecodeNPY(data)
	if err != nil || a.DType != artifact.Int8 || a.Shape[0] != 3 {
		t.Fatalf("flow is %v %v, %v; want int8 [3]…", a.DType, a.Shape, err)
	}
	var s artifact.Scalars
	for _, o := range sum.Results[mustLookup(plan, "tc")].Entry.Outputs {
		if o.Name == "summary" {
			data, _ := c.GetBlob(o.Digest)
			s, _ = artifact.DecodeJSON(data)
		}
	}
	if tc, beta := s["tc"].Value, s["beta"].Value; tc <= 2.2 || tc > 3 || beta <= 0 || beta > 0.6 || !(s["tc_lo"].Value < tc && tc < s["tc_hi"].Value) {
		t.Errorf("Monte Carlo fit: Tc %v [%v, %v], β %v", tc, s["tc_lo"].Value, s["tc_hi"].Value, beta)
	}
	fits := outputTable(t, c, plan, sum, "tc", "fits")
	if by, _ := fits.Col("by"); len(by) != 3 {
		t.Errorf("fits for %d steps, want 3", len(by))
	}
}

func mustLookup(plan *pipeline.Plan, name string) *pipeline.Node {
	n, err := plan.Lookup(name)
	if err != nil {
		panic(err)
	}
	return n
}

// The energy field of real-valued configurations is the spins' on ±1 data.
func TestEnergyFieldMatchesIsing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const L = 5
	spins := make([]int8, 3*L*L)
	vals := make([]float64, len(spins))
	for i := range spins {
		spins[i] = int8(2*r.IntN(2) - 1)
		vals[i] = float64(spins[i])
	}
	want := ising.EnergyField(spins, L)
	got := energyField(vals, L)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("site %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// At flow step 0 (the data) the flow's Δ is the Monte Carlo data's, within its error.
func TestFlowScalingDimensionStepZero(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 8, temperatures: [2.2, 2.5], samples: 300, equilibrate: 100, pilot: 200}}
  d: {op: ising.scaling_dimension, inputs: {spins: mc.spins, meta: mc.meta}, params: {field: spin, bootstrap: 10}}
  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [16], epochs: 2, batch: 50}}
  flow: {op: rbm.flow, inputs: {model: rbm.model, data: mc.spins}, params: {steps: 2}}
  fd: {op: ising.flow_scaling_dimension, inputs: {flow: flow, meta: mc.meta}, params: {field: spin, temperatures: [2.5], bootstrap: 10}}
profiles: {quick: {}, paper: {}}
`)
	d := outputTable(t, c, plan, sum, "d", "delta")
	fd := outputTable(t, c, plan, sum, "fd", "delta")
	want, _ := d.Col("delta")
	steps, _ := fd.Col("step")
	temps, _ := fd.Col("T")
	got, _ := fd.Col("delta")
	if len(steps) != 3 || steps[0] != 0 || temps[0] != 2.5 {
		t.Fatalf("rows: steps %v, T %v; want 3 steps at T = 2.5", steps, temps)
	}
	// The fits weight by bootstrap errors, drawn from other streams: equal
	// within the error, not to the bit.
	errs, _ := fd.Col("delta_err")
	if math.Abs(got[0]-want[1]) > 2*errs[0] {
		t.Errorf("step 0: Δσ %v ± %v, the data's %v", got[0], errs[0], want[1])
	}
}

// The exact thermometer reads a flow's step 0 — the Monte Carlo samples —
// at their own temperatures, and its trace and summary average over the
// starting temperatures.
func TestFlowEnergyTemperatureStepZero(t *testing.T) {
	c, plan, sum := build(t, `
paper: {id: t, title: T}
steps:
  mc: {op: ising.sample, params: {size: 8, temperatures: [2.0, 3.0], samples: 400, equilibrate: 100, pilot: 200}}
  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [16], epochs: 2, batch: 50}}
  flow: {op: rbm.flow, inputs: {model: rbm.model, data: mc.spins}, params: {steps: 2, feed: mean}}
  ft: {op: ising.flow_temperature, inputs: {flow: flow, meta: mc.meta}, params: {exact: 2.269185314213022}}
profiles: {quick: {}, paper: {}}
`)
	tt := outputTable(t, c, plan, sum, "ft", "temperature")
	steps, _ := tt.Col("step")
	temps, _ := tt.Col("T")
	got, _ := tt.Col("t_mean")
	se, _ := tt.Col("t_se")
	if len(steps) != 6 || steps[0] != 0 || steps[5] != 2 || temps[1] != 3 {
		t.Fatalf("rows: steps %v, T %v; want 3 steps × 2 temperatures", steps, temps)
	}
	for i, want := range []float64{2.0, 3.0} {
		if math.Abs(got[i]-want) > 5*se[i] || se[i] > 0.2 {
			t.Errorf("step 0 at T = %v reads %.3f ± %.3f", want, got[i], se[i])
		}
	}
	tr := outputTable(t, c, plan, sum, "ft", "trace")
	tm, _ := tr.Col("t_mean")
	s := scalars(t, c, plan, sum, "ft")
	if len(tm) != 3 || math.Abs(tm[0]-(got[0]+got[1])/2) > 1e-12 || s["t_first"].Value != tm[0] || s["t_last"].Value != tm[2] {
		t.Errorf("trace %v, summary t_first %v t_last %v; want the mean over starting temperatures", tm, s["t_first"].Value, s["t_last"].Value)
	}
	if want := (math.Abs(got[0]-2.269185314213022) + math.Abs(got[1]-2.269185314213022)) / 2; math.Abs(s["dist_first"].Value-want) > 1e-12 {
		t.Errorf("dist_first %v, want %v", s["dist_first"].Value, want)
	}
}
