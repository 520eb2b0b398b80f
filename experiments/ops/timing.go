package ops

import (
	"math"
	"time"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Rates behind the time bounds, a few times below what one core of the
// machines the project measures on sustains (bench gemm: ~50 GFLOP/s in
// float32 at large shapes; bench ising: ~1e8 spin updates/s Wolff near Tc):
// a bound that is too short gets a cluster job killed, one too long only
// waits longer in the queue.
const (
	boundFlops   = 15e9 // float32 FLOP/s in training loops, small batches included
	boundUpdates = 2e7  // spin updates/s
	boundFloor   = 10 * time.Minute
)

// seconds converts an estimate to a bound (nothing below boundFloor; 0,
// unknown, for NaN).
func seconds(s float64) time.Duration {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
		return 0
	}
	return max(time.Duration(s*float64(time.Second)), boundFloor)
}

// timeBounds returns the running-time bounds on one thread of the ops that
// can run long, from their parameters and their inputs' estimated bytes. Ops
// not listed finish in seconds at any spec's scale and get the executor's
// default.
func timeBounds() map[string]func(p map[string]spec.Value, in map[string][]float64) time.Duration {
	return map[string]func(map[string]spec.Value, map[string][]float64) time.Duration{}
}
