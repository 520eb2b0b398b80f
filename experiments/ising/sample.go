package ising

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/kadanoff/kadanoff/experiments/mcstat"
)

// The update algorithms.
const (
	AlgWolff      = "wolff"
	AlgMetropolis = "metropolis"
)

// Config says what to sample.
type Config struct {
	L         int
	T, H      float64
	Algorithm string // "wolff" or "metropolis"
	Samples   int
	// Equilibrate is the number of sweeps discarded at the start.
	Equilibrate int
	// Pilot is the number of sweeps of the run that measures τ_int before
	// production; it is doubled (up to 8 times) until it spans 50 τ.
	Pilot int
	// MinSpacing is the least number of sweeps between stored samples.
	MinSpacing int
	// Start is "random", "ordered" or "auto" (ordered below the infinite-lattice
	// Tc, random above; a random start below Tc can freeze into stripes).
	Start string
}

// Run is the outcome of sampling at one temperature.
type Run struct {
	Spins []int8    // Samples × L² spins
	E     []float64 // energy per site of each stored sample
	M     []float64 // magnetization per site of each stored sample
	// TauE and TauM are τ_int of the energy and |m| measured after every sweep
	// of the production run, in sweeps.
	TauE, TauM mcstat.Tau
	// PilotTau is the larger τ of the pilot run, which set the spacing.
	PilotTau float64
	Spacing  int
	Sweeps   int // all sweeps, equilibration and pilot included
	// Acceptance is the Metropolis acceptance rate, or for Wolff the mean
	// cluster size as a fraction of the lattice.
	Acceptance float64
	// ClustersPerSweep is the number of Wolff clusters in a sweep (0 for Metropolis).
	ClustersPerSweep int
	// SeriesE and SeriesM are e and |m| after every production sweep.
	SeriesE, SeriesM []float64
}

const tcInf = 2.269185314213022

// sweeper applies one sweep: L² Metropolis attempts, or a fixed number of Wolff
// clusters whose mean total size is L² (a sweep-equivalent).
type sweeper interface {
	sweep()
	acceptance() float64
}

type metroSweeper struct{ *Metropolis }

func (m metroSweeper) sweep() { m.Sweep() }
func (m metroSweeper) acceptance() float64 {
	return float64(m.Accepted) / math.Max(1, float64(m.Attempted))
}

type wolffSweeper struct {
	*Wolff
	grown int64
	// perSweep is the number of clusters in a sweep, fixed after equilibration
	// so that measurements are not taken at a size-dependent stopping time
	// (which would bias them); 0 while equilibrating.
	perSweep int
}

func (w *wolffSweeper) sweep() {
	if w.perSweep > 0 {
		for i := 0; i < w.perSweep; i++ {
			w.grown += int64(w.Step())
		}
		return
	}
	// Equilibration: clusters until their sizes add up to L².
	for done := 0; done < w.lat.N(); {
		c := w.Step()
		done += c
		w.grown += int64(c)
	}
}

// fix sets the clusters per sweep to ⌈L²/⟨|C|⟩⟩ from the clusters grown so far.
func (w *wolffSweeper) fix() {
	mean := float64(w.grown) / math.Max(1, float64(w.Clusters))
	w.perSweep = max(1, int(math.Ceil(float64(w.lat.N())/mean)))
}

func (w *wolffSweeper) acceptance() float64 {
	return float64(w.grown) / math.Max(1, float64(w.Clusters)) / float64(w.lat.N())
}

// Sample equilibrates a lattice, measures the autocorrelation time in a pilot
// run, and stores cfg.Samples configurations at least max(MinSpacing, ⌈2τ⌉)
// sweeps apart, where τ is the larger τ_int of the energy and |m|. progress, if
// not nil, is called with the number of samples stored so far.
func Sample(ctx context.Context, cfg Config, rng *rand.Rand, progress func(done int)) (*Run, error) {
	if cfg.T <= 0 || cfg.Samples < 1 || cfg.L < 2 {
		return nil, fmt.Errorf("ising: bad config %+v", cfg)
	}
	lat := NewLattice(cfg.L)
	start := cfg.Start
	if start == "" || start == "auto" {
		start = "random"
		if cfg.T < tcInf {
			start = "ordered"
		}
	}
	switch start {
	case "random":
		lat.Randomize(rng)
	case "ordered":
	default:
		return nil, fmt.Errorf("ising: unknown start %q", cfg.Start)
	}
	beta := 1 / cfg.T
	var sw sweeper
	switch cfg.Algorithm {
	case AlgWolff:
		sw = &wolffSweeper{Wolff: NewWolff(lat, beta, cfg.H, rng)}
	case AlgMetropolis:
		sw = metroSweeper{NewMetropolis(lat, beta, cfg.H, rng)}
	default:
		return nil, fmt.Errorf("ising: unknown algorithm %q", cfg.Algorithm)
	}
	run := &Run{}
	n := float64(lat.N())
	measure := func() (e, m float64) {
		return lat.Energy(cfg.H) / n, float64(lat.Magnetization()) / n
	}
	for i := 0; i < max(cfg.Equilibrate, 1); i++ {
		sw.sweep()
		run.Sweeps++
	}
	if w, ok := sw.(*wolffSweeper); ok {
		w.fix()
		run.ClustersPerSweep = w.perSweep
	}
	pilot := max(cfg.Pilot, 100)
	var tau float64
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		es, ms := make([]float64, pilot), make([]float64, pilot)
		for i := range es {
			sw.sweep()
			run.Sweeps++
			e, m := measure()
			es[i], ms[i] = e, math.Abs(m)
		}
		te, tm := mcstat.IntegratedTime(es, 6), mcstat.IntegratedTime(ms, 6)
		tau = math.Max(te.Tau, tm.Tau)
		if (te.Reliable && tm.Reliable) || attempt == 3 {
			break
		}
		pilot *= 2
	}
	run.PilotTau = tau
	run.Spacing = max(cfg.MinSpacing, int(math.Ceil(2*tau)), 1)
	N := lat.N()
	run.Spins = make([]int8, 0, cfg.Samples*N)
	total := cfg.Samples * run.Spacing
	run.SeriesE, run.SeriesM = make([]float64, 0, total), make([]float64, 0, total)
	for s := 0; s < cfg.Samples; s++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var e, m float64
		for i := 0; i < run.Spacing; i++ {
			sw.sweep()
			run.Sweeps++
			e, m = measure()
			run.SeriesE = append(run.SeriesE, e)
			run.SeriesM = append(run.SeriesM, math.Abs(m))
		}
		run.Spins = append(run.Spins, lat.S...)
		run.E = append(run.E, e)
		run.M = append(run.M, m)
		if progress != nil {
			progress(s + 1)
		}
	}
	run.TauE = mcstat.IntegratedTime(run.SeriesE, 6)
	run.TauM = mcstat.IntegratedTime(run.SeriesM, 6)
	run.Acceptance = sw.acceptance()
	return run, nil
}

// AlgMultiSpin names multi-spin-coded Metropolis (SampleReplicas).
const AlgMultiSpin = "multispin"

// SampleReplicas samples several temperatures at once with multi-spin-coded
// Metropolis (zero field, L ≥ 4): the 64 lanes of one MultiSpin are dealt to
// temps round-robin, so each temperature gets ⌊64/len(temps)⌋ or one more
// independent replicas. The sampling plan is that of Sample, per temperature:
// equilibrate, measure τ_int of e and |m| of every lane in a pilot run (doubled
// up to three times until reliable), then store samples from each replica
// every max(MinSpacing, ⌈2τ⌉) sweeps, where τ is the largest over the
// temperature's replicas, dealing sample s of a temperature with c replicas to
// replica s mod c. cfg.T and cfg.Algorithm are ignored. The runs share their
// sweeps; Sweeps counts all of them. progress, if not nil, is called with the
// number of samples stored so far over all temperatures.
func SampleReplicas(ctx context.Context, cfg Config, temps []float64, rng *rand.Rand, progress func(done int)) ([]*Run, error) {
	if cfg.H != 0 {
		return nil, fmt.Errorf("ising: multi-spin Metropolis runs in zero field only, not h = %v", cfg.H)
	}
	if cfg.Samples < 1 {
		return nil, fmt.Errorf("ising: bad sample count %d", cfg.Samples)
	}
	ms, err := NewMultiSpin(cfg.L, temps, rng)
	if err != nil {
		return nil, err
	}
	nT := len(temps)
	// Starts: ordered lanes keep all spins up, random lanes get random bits.
	var random uint64
	for r := 0; r < Replicas; r++ {
		start := cfg.Start
		if start == "" || start == "auto" {
			start = "random"
			if temps[r%nT] < tcInf {
				start = "ordered"
			}
		}
		switch start {
		case "random":
			random |= 1 << r
		case "ordered":
		default:
			return nil, fmt.Errorf("ising: unknown start %q", cfg.Start)
		}
	}
	for i := range ms.Words {
		ms.Words[i] = rng.Uint64()&random | ^random
	}
	n := float64(cfg.L * cfg.L)
	var es, as [Replicas][]float64
	record := func() (bonds, mag [Replicas]int) {
		bonds, mag = ms.Measure()
		for r := 0; r < Replicas; r++ {
			es[r] = append(es[r], -float64(bonds[r])/n)
			as[r] = append(as[r], math.Abs(float64(mag[r]))/n)
		}
		return bonds, mag
	}
	reset := func() {
		for r := range es {
			es[r], as[r] = es[r][:0], as[r][:0]
		}
	}
	for i := 0; i < max(cfg.Equilibrate, 1); i++ {
		ms.Sweep()
	}
	runs := make([]*Run, nT)
	for k := range runs {
		runs[k] = &Run{}
	}
	pilot := max(cfg.Pilot, 100)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		reset()
		for i := 0; i < pilot; i++ {
			ms.Sweep()
			record()
		}
		reliable := true
		for k := range runs {
			runs[k].PilotTau = 0
		}
		for r := 0; r < Replicas; r++ {
			te, tm := mcstat.IntegratedTime(es[r], 6), mcstat.IntegratedTime(as[r], 6)
			reliable = reliable && te.Reliable && tm.Reliable
			run := runs[r%nT]
			run.PilotTau = math.Max(run.PilotTau, math.Max(te.Tau, tm.Tau))
		}
		if reliable || attempt == 3 {
			break
		}
		pilot *= 2
	}
	// copies[k] is the number of replicas of temperature k; need[k] the stored
	// samples each replica contributes.
	copies := make([]int, nT)
	for r := 0; r < Replicas; r++ {
		copies[r%nT]++
	}
	N := cfg.L * cfg.L
	total := 0
	for k, run := range runs {
		run.Spacing = max(cfg.MinSpacing, int(math.Ceil(2*run.PilotTau)), 1)
		total = max(total, run.Spacing*((cfg.Samples+copies[k]-1)/copies[k]))
		run.Spins = make([]int8, cfg.Samples*N)
		run.E, run.M = make([]float64, cfg.Samples), make([]float64, cfg.Samples)
	}
	reset()
	stored := 0
	for sweep := 1; sweep <= total; sweep++ {
		if sweep%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ms.Sweep()
		bonds, mag := record()
		for r := 0; r < Replicas; r++ {
			k := r % nT
			run := runs[k]
			if sweep%run.Spacing != 0 {
				continue
			}
			// Replica c = r / nT of temperature k stores sample j·copies + c
			// at its j-th spacing point.
			s := (sweep/run.Spacing-1)*copies[k] + r/nT
			if s >= cfg.Samples {
				continue
			}
			ms.Spins(r, run.Spins[s*N:(s+1)*N])
			run.E[s], run.M[s] = -float64(bonds[r])/n, float64(mag[r])/n
			stored++
		}
		if progress != nil && sweep%16 == 0 {
			progress(stored)
		}
	}
	if progress != nil {
		progress(stored)
	}
	for k, run := range runs {
		// Lane k is replica 0 of temperature k: its series stands for them all.
		run.SeriesE, run.SeriesM = es[k], as[k]
		run.TauE = mcstat.IntegratedTime(es[k], 6)
		run.TauM = mcstat.IntegratedTime(as[k], 6)
		run.Sweeps = int(ms.Sweeps)
		acc := 0.0
		for r := k; r < Replicas; r += nT {
			acc += ms.Acceptance(r)
		}
		run.Acceptance = acc / float64(copies[k])
	}
	return runs, nil
}
