package ops

import (
	"math"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The bounds scale with the work and never fall below the floor; an unknown
// input size leaves the bound unknown.
func TestTimeBounds(t *testing.T) {
	reg := pipeline.NewRegistry(All()...)
	bound := func(name string, p map[string]spec.Value, in map[string][]float64) time.Duration {
		op, _ := reg.Lookup(name)
		return op.(pipeline.TimeEstimator).Time(p, in)
	}
	rbm := func(epochs int64, data float64) time.Duration {
		p := map[string]spec.Value{"hidden": {Kind: spec.Ints, Ints: []int64{1024}}, "k": *pipeline.IntValue(1), "epochs": *pipeline.IntValue(epochs)}
		return bound("rbm.train", p, map[string][]float64{"data": {data}})
	}
	// RBM 4096→1024 on 40,000 lattices of 64×64, 20 epochs: 7 min 19 s measured on one core.
	if got := rbm(20, 40000*4096); got < 7*time.Minute+19*time.Second || got > 4*time.Hour {
		t.Errorf("rbm64 bound %s", got)
	}
	if a, b := rbm(40, 40000*4096), rbm(20, 40000*4096); a < 2*b-time.Second || a > 2*b+time.Second {
		t.Errorf("twice the epochs: %s vs %s", a, b)
	}
	if got := rbm(1, 100); got != boundFloor {
		t.Errorf("tiny training bound %s, want the floor %s", got, boundFloor)
	}
	if got := rbm(20, math.NaN()); got != 0 {
		t.Errorf("unknown data size gives %s, want 0 (unknown)", got)
	}
	// Metropolis near Tc is bounded far longer than Wolff at the same size.
	ising := func(alg string) time.Duration {
		p := map[string]spec.Value{"size": *pipeline.IntValue(64), "temperatures": {Kind: spec.Floats, Floats: []float64{2.269}},
			"samples": *pipeline.IntValue(1000000), "algorithm": *pipeline.StringValue(alg),
			"equilibrate": *pipeline.IntValue(1000), "pilot": *pipeline.IntValue(1000), "min_spacing": *pipeline.IntValue(1)}
		return bound("ising.sample", p, nil)
	}
	if w, m := ising("wolff"), ising("metropolis"); m < 100*w {
		t.Errorf("metropolis %s vs wolff %s", m, w)
	}
}

// Every op declares a memory estimate (NaN where a size is unknown until the
// step runs): a new op without one fails here, not on a machine it exhausts.
func TestEveryOpEstimatesMemory(t *testing.T) {
	for _, op := range All() {
		if _, ok := op.(pipeline.MemoryEstimator); !ok || op.(*pipeline.Func).MemoryFunc == nil {
			t.Errorf("op %s declares no memory estimate (Def.Memory)", op.Name())
		}
	}
}

// Every op declares a time bound, so that --max-time and a cluster's time
// limits cover every step.
func TestEveryOpEstimatesTime(t *testing.T) {
	for _, op := range All() {
		if op.(*pipeline.Func).TimeFunc == nil {
			t.Errorf("op %s declares no time bound (Def.Time)", op.Name())
		}
	}
}
