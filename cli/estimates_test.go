package cli

import (
	"context"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// heapPeak runs f and returns the most heap its allocations held above what
// was held before, sampled every millisecond with the collector kept tight.
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

// estimateSlack is what a step holds beyond its data, which the estimates
// leave out (encoders, goroutines, small tables), and the sampling's noise
// (a few MiB between runs of the same step): the test catches estimates
// that miss by a factor, as the ones it was written for did (rbm.train's
// weights, 9.4 MiB against 340 MB; hidden_visible's panels, 15.6 against 75
// MiB).
const estimateSlack = 8 << 20

// Every op's memory estimate bounds what its steps hold: each step of the
// quick builds of configs/ that took under half a second runs again, alone,
// and its heap's peak is compared with one and a half times the plan's
// estimate plus estimateSlack (steps whose estimate is unknown are listed, not checked;
// the trainings have their own tests in experiments/ops, at shapes where
// their weights dominate).
func TestMemoryEstimatesBoundPeaks(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join(repoRoot(t), "configs", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatal("no specs", err)
	}
	unknown := map[string]bool{}
	checked := map[string]bool{}
	for _, f := range specs {
		dir, _ := sharedQuickSpec(t, f)
		cc, err := cache.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pipeline.NewPlan([]*spec.Spec{s}, DefaultRegistry(), "quick")
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Resolve(cc, plan.Nodes)
		if err != nil {
			t.Fatal(err)
		}
		est := plan.Resources()
		local := &pipeline.Local{Registry: DefaultRegistry(), Store: cc}
		seen := map[string]bool{}
		for _, n := range plan.Nodes {
			if n.Op.Name() == spec.FigureOp || seen[n.Op.Name()+n.Base] {
				continue // one replicate of each step
			}
			seen[n.Op.Name()+n.Base] = true
			if res[n].Entry.Seconds > 0.5 {
				continue
			}
			e := est[n].Memory
			if !(e > 0) {
				unknown[n.Op.Name()] = true
				continue
			}
			task, err := pipeline.TaskFor(n, res, 2)
			if err != nil {
				t.Fatal(err)
			}
			var runErr error
			peak := heapPeak(func() { _, runErr = local.Execute(context.Background(), task, nil) })
			if runErr != nil {
				t.Fatalf("%s: %v", n.ID, runErr)
			}
			checked[n.Op.Name()] = true
			if peak > 1.5*e+estimateSlack {
				t.Errorf("%s (%s): estimate %s, measured peak %s", n.ID, n.Op.Name(), pipeline.FormatBytes(e), pipeline.FormatBytes(peak))
			}
		}
	}
	var u []string
	for op := range unknown {
		if !checked[op] {
			u = append(u, op)
		}
	}
	sort.Strings(u)
	t.Logf("ops checked: %d; with no estimate on these shapes: %s", len(checked), strings.Join(u, ", "))
}
