package ops

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// heapPeak runs f and returns the most heap its allocations held above what
// was held before, sampled every millisecond (with the collector kept tight,
// so that garbage does not pass for a peak).
func heapPeak(f func()) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() float64 {
		metrics.Read(sample)
		return float64(sample[0].Value.Uint64())
	}
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			if v := read(); v > float64(peak.Load()) {
				peak.Store(uint64(v))
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	return float64(peak.Load()) - base
}

// The trainings' memory estimates bound what a training holds, weights
// included (rbm.train's once left them out: a 4096→4096 RBM estimated at
// 9.4 MiB peaked at 340 MB), on shapes where the weights or the data
// dominate.
func TestTrainingMemoryEstimates(t *testing.T) {
	sample := func(L, n int) string {
		return fmt.Sprintf("  mc: {op: ising.sample, params: {size: %d, temperatures: [1.5, 2.3, 3.5], samples: %d, equilibrate: 100, pilot: 100}}\n", L, n)
	}
	for _, c := range []struct {
		name, steps string
	}{
		{"rbm 256→256", sample(16, 150) + "  x: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [256], epochs: 1, batch: 20, held_out: 0, monitor: 10}}\n"},
		{"rbm 1024→1024", sample(32, 15) + "  x: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [1024], epochs: 1, batch: 20, held_out: 0, monitor: 10}}\n"},
		{"rbm 4096→1024→256", sample(64, 7) + "  x: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [1024, 256], epochs: 1, batch: 20, held_out: 0, monitor: 10}}\n"},
		{"mlp 4096→80", sample(64, 100) + "  x: {op: mlp.train, inputs: mc, params: {hidden: [80], epochs: 2, validation: 0.2, augment: true}}\n"},
		{"nrg 16×16", "  x: {op: nrg.train, params: {size: 16, T: 2.269, levels: 4, couplings: 4, epochs: 2, batch: 64, eval_batch: 2048}}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := spec.Parse("t.yaml", []byte("paper: {id: t, title: T}\nsteps:\n"+c.steps+"profiles: {quick: {}, paper: {}}\n"))
			if err != nil {
				t.Fatal(err)
			}
			reg := pipeline.NewRegistry(All()...)
			plan, err := pipeline.NewPlan([]*spec.Spec{s}, reg, "quick")
			if err != nil {
				t.Fatal(err)
			}
			x, _ := plan.Lookup("x")
			est := plan.Resources()[x].Memory
			c, _ := cache.Open(t.TempDir())
			b := &pipeline.Builder{Cache: c, Executor: &pipeline.Local{Registry: reg, Store: c}, Jobs: 1}
			if mc, err := plan.Lookup("mc"); err == nil {
				if sum := b.Build(context.Background(), plan, []*pipeline.Node{mc}); sum.Failed > 0 {
					t.Fatal(sum.Line())
				}
			}
			peak := heapPeak(func() {
				if sum := b.Build(context.Background(), plan, []*pipeline.Node{x}); sum.Failed > 0 {
					t.Fatal(sum.Line())
				}
			})
			t.Logf("estimate %s, measured heap peak %s", pipeline.FormatBytes(est), pipeline.FormatBytes(peak))
			if !(est >= peak) {
				t.Errorf("estimate %s below the measured peak %s", pipeline.FormatBytes(est), pipeline.FormatBytes(peak))
			}
		})
	}
}
