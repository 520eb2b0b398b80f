package ops

import (
	"math"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
)

// Every op declares what a step holds (Def.Memory) and how long it runs on
// one thread (Def.Time), from its parameters and the estimated bytes of its
// inputs: the plan refuses a step too large for the machine before anything
// runs, the scheduler starts the longest chains first, and a cluster job gets
// its limits. Memory estimates are upper bounds of the order of magnitude,
// not accounting: a configuration array of int8 spins becomes a float32 or
// float64 matrix inside most ops, hence the factors.

// tableBytes is the estimate of a small table or scalars output: a generous
// megabyte.
const tableBytes = 1 << 20

// small is the estimate of an op with small outputs and the given peak.
func small(peak float64) pipeline.Sizes {
	return pipeline.Sizes{Out: map[string]float64{}, Peak: peak}
}

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

// quickRate is the input bytes a second an op that makes a few passes over
// its inputs is bounded at (sorting, tables, FFTs of panels): far below what
// it does.
const quickRate = 20e6

// quick is the time bound of an op whose work is a few passes over its
// inputs: one second and quickRate; unknown when an input's size is.
func quick[P any](_ *P, in map[string][]float64) time.Duration {
	return estimate(1 + pipeline.Total(in)/quickRate)
}

// estimate converts seconds to a duration (0, unknown, for NaN or
// infinity), without the floor of a training's bound: the scheduler weighs
// chains of steps with it, and a cluster job gets at least its executor's
// minimum.
func estimate(s float64) time.Duration {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// gemmTime bounds an op that multiplies n configurations by an RBM's
// weights (its model input, float32) passes times, and reads its inputs.
func gemmTime(in map[string][]float64, passes float64) time.Duration {
	w := (pipeline.One(in, "model") - tableBytes) / 4
	n := pipeline.One(in, "data") / pipeline.Units(in, "data")
	return estimate(1 + 2*passes*n*w/boundFlops + pipeline.Total(in)/quickRate)
}

// seconds converts an estimate to a bound (nothing below boundFloor; 0,
// unknown, for NaN).
func seconds(s float64) time.Duration {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
		return 0
	}
	return max(time.Duration(s*float64(time.Second)), boundFloor)
}
