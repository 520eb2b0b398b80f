package ops

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/kadanoff/kadanoff/experiments/correlator"
	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/fit"
	"github.com/kadanoff/kadanoff/experiments/ising"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The ising ops: Monte Carlo samples of the 2D Ising model, and what is measured on
// samples and on flows of them (temperatures selected, ⟨|m|⟩, scaling dimensions, the
// exact-energy thermometer).

// isingOps are the ops of this file, for All.
func isingOps() []pipeline.Op {
	return []pipeline.Op{isingSample(), scalingDimension(), selectTemperatures(), flowMagnetization(), flowScalingDimension(), energyTemperature(),
		flowEnergyTemperature()}
}

// parallel runs f(i) for i in [0, n) on the step's threads, returning the
// first error. A panic in f is returned as an error, so it fails the step,
// not the process.
func parallel(ctx context.Context, threads, n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	next := make(chan int)
	call := func(i int) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic in worker %d: %v\n%s", i, r, debug.Stack())
			}
		}()
		return f(i)
	}
	for w := 0; w < min(max(threads, 1), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = call(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// multiSpinGroup is the most temperatures sharing one multi-spin word, so that
// each has at least four replicas and groups spread over the cores.
const multiSpinGroup = 16

type isingSampleParams struct {
	Size         int       `param:"size" doc:"lattice side L (odd allowed)" check:"min=2"`
	Temperatures []float64 `param:"temperatures" doc:"temperatures (list or grid)" check:"min=1e-6"`
	Samples      int       `param:"samples" doc:"samples per temperature" check:"min=2"`
	Field        float64   `param:"field" doc:"magnetic field h" default:"0"`
	Algorithm    string    `param:"algorithm" doc:"wolff, metropolis, or multispin (multi-spin-coded Metropolis, zero field, L ≥ 4: temperatures packed 16 to a 64-replica word, each with 4 or more independent replicas)" default:"wolff" check:"oneof=wolff,metropolis,multispin"`
	Equilibrate  int       `param:"equilibrate" doc:"sweeps discarded first" default:"1000" check:"min=0"`
	Pilot        int       `param:"pilot" doc:"sweeps of the pilot run measuring τ_int (doubled until it spans 50τ)" default:"1000" check:"min=100"`
	MinSpacing   int       `param:"min_spacing" doc:"least sweeps between stored samples" default:"1" check:"min=1"`
	Start        string    `param:"start" doc:"random, ordered, or auto (ordered below Tc)" default:"auto" check:"oneof=auto,random,ordered"`
}

func isingSample() pipeline.Op {
	return pipeline.Define(pipeline.Def[isingSampleParams]{
		Name:    "ising.sample",
		Seeded:  true,
		Version: 2,
		Doc: "Monte Carlo samples of the 2-D Ising model (J = 1) on a periodic L×L lattice at each temperature of a grid: " +
			"equilibrate, measure τ_int of e and |m| in a pilot run (Madras–Sokal), store samples max(min_spacing, ⌈2τ⌉) sweeps apart. " +
			"Temperatures run in parallel, each from its own random stream.",
		Out: []pipeline.OutputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "int8 [T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "per temperature: T, tau_e, tau_e_err, tau_m, tau_m_err, pilot_tau, spacing, sweeps, acceptance, clusters_per_sweep",
				Columns: []string{"T", "tau_e", "tau_e_err", "tau_m", "tau_m_err", "pilot_tau", "spacing", "sweeps", "acceptance", "clusters_per_sweep"}},
			{Name: "observables", Kind: artifact.KindTable, Doc: "per temperature: e, |m|, m², U4, C, χ with jackknife errors, and the exact e and C of the finite lattice",
				Columns: []string{"T", "e", "e_err", "e_exact", "abs_m", "abs_m_err", "m2", "m2_err", "u4", "u4_err", "c", "c_err", "c_exact", "chi", "chi_err"}},
		},
		Threads: func(p *isingSampleParams) int { return len(p.Temperatures) },
		Memory: func(p *isingSampleParams, _ map[string][]float64) pipeline.Sizes {
			L, T, n := float64(p.Size), float64(len(p.Temperatures)), float64(p.Samples)
			spins := T * n * L * L // int8
			// Samples gathered, then encoded; per worker a lattice and the exact partition function's work.
			return pipeline.Sizes{Out: map[string]float64{"spins": spins, pipeline.UnitsKey("spins"): L * L, "meta": tableBytes, "observables": tableBytes},
				Peak: 3*spins + float64(runtime.NumCPU())*(64*L*L+T*16*L)}
		},
		Time: func(p *isingSampleParams, _ map[string][]float64) time.Duration {
			L := float64(p.Size)
			tau := 2 * math.Pow(L, 0.25)
			if p.Algorithm != "wolff" {
				tau = 2 * math.Pow(L, 2.17)
			}
			sweeps := float64(p.Equilibrate) + 16*float64(p.Pilot) + float64(p.Samples)*math.Max(float64(p.MinSpacing), tau)
			return seconds(float64(len(p.Temperatures)) * sweeps * L * L / boundUpdates)
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *isingSampleParams) error {
			L, temps, n := par.Size, par.Temperatures, par.Samples
			runs := make([]*ising.Run, len(temps))
			var mu sync.Mutex
			doneBy := map[int]int{}
			report := func(key, done int) {
				mu.Lock()
				defer mu.Unlock()
				doneBy[key] = done
				total := 0
				for _, d := range doneBy {
					total += d
				}
				env.Progress(total, n*len(temps))
			}
			cfg := ising.Config{L: L, H: par.Field, Algorithm: par.Algorithm, Samples: n,
				Equilibrate: par.Equilibrate, Pilot: par.Pilot, MinSpacing: par.MinSpacing, Start: par.Start}
			var err error
			if cfg.Algorithm == ising.AlgMultiSpin {
				// Groups of at most multiSpinGroup temperatures, fixed by the
				// grid alone so that results do not depend on the core count.
				groups := (len(temps) + multiSpinGroup - 1) / multiSpinGroup
				err = parallel(ctx, env.Threads(), groups, func(g int) error {
					lo, hi := g*len(temps)/groups, (g+1)*len(temps)/groups
					rs, err := ising.SampleReplicas(ctx, cfg, temps[lo:hi], env.Rand(fmt.Sprintf("group[%d]=%v", g, temps[lo:hi])),
						func(done int) { report(g, done) })
					if err != nil {
						return fmt.Errorf("temperatures %v: %w", temps[lo:hi], err)
					}
					copy(runs[lo:hi], rs)
					return nil
				})
			} else {
				err = parallel(ctx, env.Threads(), len(temps), func(i int) error {
					cfg := cfg
					cfg.T = temps[i]
					done := 0
					r, err := ising.Sample(ctx, cfg, env.Rand(fmt.Sprintf("T[%d]=%v", i, temps[i])), func(int) {
						done++
						report(i, done)
					})
					runs[i] = r
					if err != nil {
						return fmt.Errorf("T=%v: %w", temps[i], err)
					}
					return nil
				})
			}
			if err != nil {
				return err
			}
			N := L * L
			spins := make([]int8, 0, len(temps)*n*N)
			cols := map[string][]float64{}
			names := []string{"T", "tau_e", "tau_e_err", "tau_m", "tau_m_err", "pilot_tau", "spacing", "sweeps", "acceptance", "clusters_per_sweep"}
			onames := []string{"T", "e", "e_err", "e_exact", "abs_m", "abs_m_err", "m2", "m2_err", "u4", "u4_err", "c", "c_err", "c_exact", "chi", "chi_err"}
			for i, r := range runs {
				spins = append(spins, r.Spins...)
				T := temps[i]
				for k, v := range []float64{T, r.TauE.Tau, r.TauE.Err, r.TauM.Tau, r.TauM.Err, r.PilotTau, float64(r.Spacing), float64(r.Sweeps), r.Acceptance, float64(r.ClustersPerSweep)} {
					cols[names[k]] = append(cols[names[k]], v)
				}
				o := ising.Measure(r.E, r.M, N, T, min(n, 100))
				eExact, cExact := math.NaN(), math.NaN()
				if par.Field == 0 {
					eExact, cExact = exact.Energy(L, T), exact.SpecificHeat(L, T)
				}
				for k, v := range []float64{T, o.E.Value, o.E.Err, eExact, o.AbsM.Value, o.AbsM.Err, o.M2.Value, o.M2.Err, o.U4.Value, o.U4.Err, o.C.Value, o.C.Err, cExact, o.Chi.Value, o.Chi.Err} {
					cols["o:"+onames[k]] = append(cols["o:"+onames[k]], v)
				}
			}
			ocols := map[string][]float64{}
			for _, name := range onames {
				ocols[name] = cols["o:"+name]
			}
			meta, obs := table(names, cols), table(onames, ocols)
			if err := env.PutArray("spins", artifact.NewInt8(spins, len(temps), n, L, L)); err != nil {
				return err
			}
			if err := env.PutTable("meta", meta); err != nil {
				return err
			}
			return env.PutTable("observables", obs)
		},
	})
}

type scalingDimensionParams struct {
	Field     string  `param:"field" doc:"spin or energy" check:"oneof=spin,energy"`
	RMin      float64 `param:"r_min" doc:"smallest distance fitted" default:"1"`
	RMax      float64 `param:"r_max" doc:"largest distance fitted; 0 means L/2" default:"0"`
	Bootstrap int     `param:"bootstrap" doc:"bootstrap resamples" default:"200" check:"min=2"`
}

func scalingDimension() pipeline.Op {
	return pipeline.Define(pipeline.Def[scalingDimensionParams]{
		Name:    "ising.scaling_dimension",
		Seeded:  true,
		Version: 2,
		Doc: "Scaling dimension Δ at each temperature from a power-law fit A·r^(−2Δ) of the connected two-point function of the spin " +
			"(σ) or bond-energy (ε(x) = Σ_μ σ(x)σ(x+μ)) field over r_min ≤ r ≤ r_max, periodic Euclidean distance. G(r) errors and the error " +
			"of Δ come from a bootstrap over samples; the fit is weighted by the G(r) errors. Temperatures where the field does not " +
			"fluctuate at all (every sample perfectly ordered), or whose fitted amplitude A is not positive (a correlator that barely " +
			"fluctuates and follows no power law), have no Δ and are left out of the delta table (the step's log names them).",
		In: []pipeline.InputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "int8 [T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "delta", Kind: artifact.KindTable, Doc: "T, delta, delta_err (bootstrap), delta_fit_err (covariance; nan if singular), amplitude, chi2_dof, points",
				Columns: []string{"T", "delta", "delta_err", "delta_fit_err", "amplitude", "chi2_dof", "points"}},
			{Name: "correlators", Kind: artifact.KindTable, Doc: "long format: T, r, g, g_err", Columns: []string{"T", "r", "g", "g_err"}},
		},
		Threads: pipeline.AllThreadsOf[scalingDimensionParams],
		Memory: func(p *scalingDimensionParams, in map[string][]float64) pipeline.Sizes {
			s := pipeline.One(in, "spins")
			return pipeline.Sizes{Out: map[string]float64{"delta": tableBytes, "correlators": tableBytes}, Peak: 10 * s}
		},
		Time: quick[scalingDimensionParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *scalingDimensionParams) error {
			a, temps, err := spinsByTemperature(env, true)
			if err != nil {
				return err
			}
			nT, n, L := a.Shape[0], a.Shape[1], a.Shape[2]
			field := func(i int) []float64 {
				spins := a.I8[i*n*L*L : (i+1)*n*L*L]
				if p.Field == "spin" {
					return ising.SpinField(spins)
				}
				return ising.EnergyField(spins, L)
			}
			res, err := scalingDimensions(ctx, env, dimensionFit{Field: p.Field, RMin: p.RMin, RMax: p.RMax, Bootstrap: p.Bootstrap}, nT, n, L, field, func(i int) string { return fmt.Sprintf("T=%v", temps[i]) },
				func(i int) string { return fmt.Sprintf("bootstrap T[%d]", i) })
			if err != nil {
				return err
			}
			var d [7][]float64
			var corr [4][]float64
			for i, r := range res {
				if r.c == nil {
					continue
				}
				if !(r.amp > 0) {
					env.Logf("T=%v: the fitted amplitude is %g, not positive: no power law, no Δ (the row is left out)", temps[i], r.amp)
					continue
				}
				for k, v := range []float64{temps[i], r.delta, r.deltaErr, r.fitErr, r.amp, r.chi2, float64(r.points)} {
					d[k] = append(d[k], v)
				}
				for k := range r.c.R {
					for j, v := range []float64{temps[i], r.c.R[k], r.c.G[k], r.c.Err[k]} {
						corr[j] = append(corr[j], v)
					}
				}
			}
			dt := &artifact.Table{}
			for k, name := range []string{"T", "delta", "delta_err", "delta_fit_err", "amplitude", "chi2_dof", "points"} {
				dt.Columns = append(dt.Columns, artifact.Column{Name: name, Values: d[k]})
			}
			ct := &artifact.Table{}
			for k, name := range []string{"T", "r", "g", "g_err"} {
				ct.Columns = append(ct.Columns, artifact.Column{Name: name, Values: corr[k]})
			}
			if err := env.PutTable("delta", dt); err != nil {
				return err
			}
			return env.PutTable("correlators", ct)
		},
	})
}

// spinsByTemperature reads the inputs spins, configurations [T][sample][L][L]
// (int8 on a square lattice when strict), and meta, a table whose column T has
// one row per temperature.
func spinsByTemperature(env *pipeline.Env, strict bool) (*artifact.Array, []float64, error) {
	a, err := env.Array("spins")
	if err != nil {
		return nil, nil, err
	}
	if strict && (a.DType != artifact.Int8 || len(a.Shape) != 4 || a.Shape[2] != a.Shape[3]) {
		return nil, nil, fmt.Errorf("spins: want int8 [T][sample][L][L], got %s %v", a.DType, a.Shape)
	}
	if len(a.Shape) != 4 {
		return nil, nil, fmt.Errorf("spins: want [T][sample][L][L], got shape %v", a.Shape)
	}
	meta, err := env.Table("meta")
	if err != nil {
		return nil, nil, err
	}
	temps, err := meta.Col("T")
	if err != nil {
		return nil, nil, err
	}
	if len(temps) != a.Shape[0] {
		return nil, nil, fmt.Errorf("meta has %d temperatures, spins %d", len(temps), a.Shape[0])
	}
	return a, temps, nil
}

// dimension is the scaling dimension fitted to one set of samples.
type dimension struct {
	delta, deltaErr, fitErr, amp, chi2 float64
	points                             int
	c                                  *correlator.Connected // nil when the field does not fluctuate
}

// scalingDimensions fits A r^(−2Δ) to the connected correlator of the
// field of each of units sets of n samples of L×L sites, in parallel: label
// names a set in errors and logs, stream names its bootstrap's random stream.
// dimensionFit is what a scaling-dimension fit takes from its op's
// parameters.
type dimensionFit struct {
	Field      string  // spin or energy
	RMin, RMax float64 // distances fitted; RMax 0 means L/2
	Bootstrap  int     // resamples
}

func scalingDimensions(ctx context.Context, env *pipeline.Env, df dimensionFit, units, n, L int, field func(i int) []float64, label, stream func(i int) string) ([]dimension, error) {
	rmin, rmax := df.RMin, df.RMax
	if rmax == 0 {
		rmax = float64(L) / 2
	}
	res := make([]dimension, units)
	err := parallel(ctx, env.Threads(), units, func(i int) error {
		c, err := correlator.ConnectedG(field(i), n, L, df.Bootstrap, env.Rand(stream(i)))
		if err != nil {
			return err
		}
		maxErr := 0.0
		for _, e := range c.Err {
			maxErr = math.Max(maxErr, e)
		}
		if maxErr == 0 {
			// No fluctuations (e.g. every sample perfectly ordered): Δ is undefined.
			env.Logf("%s: the %s field does not fluctuate in any sample; no Δ is fitted (the row is left out)", label(i), df.Field)
			return nil
		}
		sel := func(g []float64) (x, y, s []float64) {
			for k, r := range c.R {
				if r >= rmin-1e-9 && r <= rmax+1e-9 {
					x, y, s = append(x, r), append(y, g[k]), append(s, math.Max(c.Err[k], 1e-6*maxErr))
				}
			}
			return
		}
		x, y, s := sel(c.G)
		pl, err := fit.FitPowerLaw(x, y, s)
		if err != nil {
			return fmt.Errorf("%s: %w", label(i), err)
		}
		var m, m2 float64
		for _, g := range c.Boot {
			_, yb, _ := sel(g)
			pb, err := fit.FitPowerLaw(x, yb, s)
			if err != nil {
				return fmt.Errorf("%s bootstrap: %w", label(i), err)
			}
			m += pb.Delta
			m2 += pb.Delta * pb.Delta
		}
		B := float64(len(c.Boot))
		m /= B
		res[i] = dimension{delta: pl.Delta, deltaErr: math.Sqrt(math.Max(0, m2/B-m*m) * B / (B - 1)), fitErr: pl.DeltaErr,
			amp: pl.A, chi2: pl.Chi2 / math.Max(1, float64(pl.Dof)), points: len(x), c: c}
		return nil
	})
	return res, err
}

type selectTemperaturesParams struct {
	Temperatures []float64 `param:"temperatures" doc:"the temperatures kept (each must be a row of meta)"`
}

// selectTemperatures keeps the configurations of some temperatures.
func selectTemperatures() pipeline.Op {
	return pipeline.Define(pipeline.Def[selectTemperaturesParams]{
		Name:    "ising.select",
		Version: 1,
		Doc:     "Keeps the configurations [T][sample][L][L] and meta rows of the given temperatures, in the order given.",
		In: []pipeline.InputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "configurations [T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "the configurations of those temperatures"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "their rows of meta"},
		},
		Memory: func(p *selectTemperaturesParams, in map[string][]float64) pipeline.Sizes {
			s := pipeline.One(in, "spins") // at most all of it
			return pipeline.Sizes{Out: map[string]float64{"spins": s, pipeline.UnitsKey("spins"): pipeline.Units(in, "spins"), "meta": tableBytes}, Peak: 2 * s}
		},
		Time: quick[selectTemperaturesParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *selectTemperaturesParams) error {
			a, temps, err := spinsByTemperature(env, false)
			if err != nil {
				return err
			}
			meta, _ := env.Table("meta")
			per := a.Len() / a.Shape[0]
			rows, err := temperatureRows(p.Temperatures, temps, "data")
			if err != nil {
				return err
			}
			shape := append([]int{len(rows)}, a.Shape[1:]...)
			out := &artifact.Table{}
			for _, c := range meta.Columns {
				var v []float64
				for _, r := range rows {
					v = append(v, c.Values[r])
				}
				out.Columns = append(out.Columns, artifact.Column{Name: c.Name, Values: v})
			}
			var sel *artifact.Array
			switch a.DType {
			case artifact.Int8:
				var d []int8
				for _, r := range rows {
					d = append(d, a.I8[r*per:(r+1)*per]...)
				}
				sel = artifact.NewInt8(d, shape...)
			default:
				var d []float64
				all := a.Float64s()
				for _, r := range rows {
					d = append(d, all[r*per:(r+1)*per]...)
				}
				sel = artifact.NewFloat64(d, shape...)
			}
			if err := env.PutArray("spins", sel); err != nil {
				return err
			}
			return env.PutTable("meta", out)
		},
	})
}

type flowMagnetizationParams struct {
}

// flowMagnetization measures ⟨|m|⟩ of every step of a flow at every
// temperature.
func flowMagnetization() pipeline.Op {
	return pipeline.Define(pipeline.Def[flowMagnetizationParams]{
		Name:    "ising.flow_magnetization",
		Version: 1,
		Doc: "Mean absolute magnetization per site ⟨|m|⟩, with its standard error over samples, of every step of a flow " +
			"[step][T][sample][L][L] (int8 spins or float32 means) at every temperature.",
		In: []pipeline.InputSpec{
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "m", Kind: artifact.KindTable, Doc: "step, T, abs_m, abs_m_err (standard error of the mean over samples)",
			Columns: []string{"step", "T", "abs_m", "abs_m_err"}}},
		Memory: func(p *flowMagnetizationParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"m": tableBytes}, Peak: 9 * pipeline.One(in, "flow")}
		},
		Time: quick[flowMagnetizationParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *flowMagnetizationParams) error {
			a, temps, err := flowAndTemperatures(env, true)
			if err != nil {
				return err
			}
			steps, nT, n, N := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]*a.Shape[4]
			values := a.Float64s()
			var cols [4][]float64
			for st := 0; st < steps; st++ {
				for ti := 0; ti < nT; ti++ {
					base := (st*nT + ti) * n * N
					mean, se := ising.MeanAbsMagnetization(values[base:base+n*N], n, N)
					for j, v := range []float64{float64(st), temps[ti], mean, se} {
						cols[j] = append(cols[j], v)
					}
				}
			}
			t := artifact.NewTable([]string{"step", "T", "abs_m", "abs_m_err"}, cols[:])
			return env.PutTable("m", t)
		},
	})
}

type flowScalingDimensionParams struct {
	Field        string    `param:"field" doc:"spin or energy" check:"oneof=spin,energy"`
	Temperatures []float64 `param:"temperatures" doc:"the starting temperatures analysed (each a row of meta)"`
	RMin         float64   `param:"r_min" doc:"smallest distance fitted" default:"1"`
	RMax         float64   `param:"r_max" doc:"largest distance fitted; 0 means L/2" default:"0"`
	Bootstrap    int       `param:"bootstrap" doc:"bootstrap resamples" default:"200" check:"min=2"`
}

// flowScalingDimension fits Δ of the spin or energy field at every step of a
// flow, for some of its temperatures.
func flowScalingDimension() pipeline.Op {
	return pipeline.Define(pipeline.Def[flowScalingDimensionParams]{
		Name:    "ising.flow_scaling_dimension",
		Seeded:  true,
		Version: 1,
		Threads: pipeline.AllThreadsOf[flowScalingDimensionParams],
		Doc: "Scaling dimension Δ of the spin or energy field at every step of a flow [step][T][sample][L][L] (int8 spins or " +
			"float32 means), from power-law fits of the connected correlator as ising.scaling_dimension, at the given temperatures.",
		In: []pipeline.InputSpec{
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature of the flow", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "delta", Kind: artifact.KindTable,
			Doc:     "step, T, delta, delta_err (bootstrap), delta_fit_err, amplitude, chi2_dof, points; rows where the field does not fluctuate are left out",
			Columns: []string{"step", "T", "delta", "delta_err", "delta_fit_err", "amplitude", "chi2_dof", "points"}}},
		Memory: func(p *flowScalingDimensionParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"delta": tableBytes}, Peak: 10 * pipeline.One(in, "flow")}
		},
		Time: quick[flowScalingDimensionParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *flowScalingDimensionParams) error {
			a, temps, err := flowAndTemperatures(env, true)
			if err != nil {
				return err
			}
			steps, nT, n, L := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
			rows, err := temperatureRows(p.Temperatures, temps, "flow") // temperature indices analysed
			if err != nil {
				return err
			}
			values := a.Float64s()
			N := L * L
			unit := func(i int) (step, ti int) { return i / len(rows), rows[i%len(rows)] }
			field := func(i int) []float64 {
				st, ti := unit(i)
				v := values[(st*nT+ti)*n*N : (st*nT+ti+1)*n*N]
				if p.Field == "spin" {
					return append([]float64(nil), v...)
				}
				return energyField(v, L)
			}
			res, err := scalingDimensions(ctx, env, dimensionFit{Field: p.Field, RMin: p.RMin, RMax: p.RMax, Bootstrap: p.Bootstrap}, steps*len(rows), n, L, field,
				func(i int) string { st, ti := unit(i); return fmt.Sprintf("step %d, T=%v", st, temps[ti]) },
				func(i int) string { st, ti := unit(i); return fmt.Sprintf("bootstrap n[%d] T[%d]", st, ti) })
			if err != nil {
				return err
			}
			var d [8][]float64
			for i, r := range res {
				if r.c == nil {
					continue
				}
				st, ti := unit(i)
				for k, v := range []float64{float64(st), temps[ti], r.delta, r.deltaErr, r.fitErr, r.amp, r.chi2, float64(r.points)} {
					d[k] = append(d[k], v)
				}
			}
			t := &artifact.Table{}
			for k, name := range []string{"step", "T", "delta", "delta_err", "delta_fit_err", "amplitude", "chi2_dof", "points"} {
				t.Columns = append(t.Columns, artifact.Column{Name: name, Values: d[k]})
			}
			return env.PutTable("delta", t)
		},
	})
}

// energyField is ising.EnergyField for real-valued configurations (mean-field
// flows): ε(x) = s(x)·(s(x+x̂) + s(x+ŷ)) on periodic L×L lattices.
func energyField(v []float64, L int) []float64 {
	N := L * L
	out := make([]float64, len(v))
	for base := 0; base+N <= len(v); base += N {
		s := v[base : base+N]
		for y := 0; y < L; y++ {
			for x := 0; x < L; x++ {
				i := y*L + x
				out[base+i] = s[i] * (s[y*L+(x+1)%L] + s[((y+1)%L)*L+x])
			}
		}
	}
	return out
}

type energyTemperatureParams struct {
	TMin float64 `param:"t_min" doc:"lowest temperature read" default:"0.5" check:"min=0.05"`
	TMax float64 `param:"t_max" doc:"highest temperature read" default:"50" check:"min=0.1"`
}

func energyTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[energyTemperatureParams]{
		Name:    "ising.energy_temperature",
		Version: 1,
		Doc: "The exact thermometer: per set of configurations [set...][sample][L][L], the temperature at which the periodic " +
			"L×L lattice's exact mean energy per site (Kaufman) equals the set's mean energy per site, e = −(1/N) Σ⟨ij⟩ s_i s_j. " +
			"For ±1 samples of one temperature this is the maximum-likelihood estimate of it; values that are not ±1 (block " +
			"averages, mean activations) enter the same formula. Found by bisection on [t_min, t_max]; a reading at an end is " +
			"marked. Error from the energy's standard error over samples divided by the specific heat (dT = de / C).",
		In: []pipeline.InputSpec{
			{Name: "data", Kind: artifact.KindArray, Doc: "configurations [set...][sample][L][L], int8 or float"},
			{Name: "meta", Kind: artifact.KindTable, Many: true, Doc: "optional: the sets' temperatures (column T), copied into the output",
				Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "temperature", Kind: artifact.KindTable,
			Doc:     "set, T (from meta, NaN without), t_mean (the reading), t_se, e_mean, e_se, at_bound (1 when the reading is t_min or t_max)",
			Columns: []string{"set", "T", "t_mean", "t_se", "e_mean", "e_se", "at_bound"}}},
		Memory: func(_ *energyTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes}, Peak: 5 * pipeline.One(in, "data")}
		},
		Time: quick[energyTemperatureParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *energyTemperatureParams) error {
			a, L, n, sets, setT, err := configSets(env)
			if err != nil {
				return err
			}
			lo, hi := p.TMin, p.TMax
			if hi <= lo {
				return fmt.Errorf("t_max %v must exceed t_min %v", hi, lo)
			}
			x := float32s(a)
			var cols [7][]float64
			for s := 0; s < sets; s++ {
				r := readEnergy(x[s*n*L*L:(s+1)*n*L*L], n, L, lo, hi)
				for j, v := range []float64{float64(s), setT[s], r.t, r.tse, r.e, r.ese, indicator(r.bound)} {
					cols[j] = append(cols[j], v)
				}
			}
			t := artifact.NewTable([]string{"set", "T", "t_mean", "t_se", "e_mean", "e_se", "at_bound"}, cols[:])
			return env.PutTable("temperature", t)
		},
	})
}

// energyReading is what the exact thermometer reads from a set of
// configurations: the temperature t (with its standard error; NaN at a
// bound), the mean energy per site e and its standard error, and whether t
// is an end of the range read.
type energyReading struct {
	t, tse, e, ese float64
	bound          bool
}

// readEnergy reads n L×L configurations x (periodic) with the exact
// thermometer on [lo, hi]: the temperature at which Kaufman's mean energy
// per site of the lattice equals theirs.
func readEnergy(x []float32, n, L int, lo, hi float64) energyReading {
	var s1, s2 float64
	for k := 0; k < n; k++ {
		c := x[k*L*L : (k+1)*L*L]
		var e float64
		for y := 0; y < L; y++ {
			for i := 0; i < L; i++ {
				v := float64(c[y*L+i])
				e -= v * (float64(c[y*L+(i+1)%L]) + float64(c[((y+1)%L)*L+i]))
			}
		}
		e /= float64(L * L)
		s1, s2 = s1+e, s2+e*e
	}
	mean := s1 / float64(n)
	se := math.Sqrt(math.Max(0, s2/float64(n)-mean*mean) / float64(n))
	eLo, eHi := exact.Energy(L, lo), exact.Energy(L, hi)
	r := energyReading{t: lo, tse: math.NaN(), e: mean, ese: se, bound: true}
	switch {
	case mean >= eHi:
		r.t = hi
	case mean > eLo:
		a, b := lo, hi // exact.Energy increases with T
		for b-a > 1e-6*b {
			m := (a + b) / 2
			if exact.Energy(L, m) < mean {
				a = m
			} else {
				b = m
			}
		}
		r.t, r.bound = (a+b)/2, false
	}
	if c := exact.SpecificHeat(L, r.t); !r.bound && c > 0 {
		r.tse = se / c // the specific heat per site is de/dT
	}
	return r
}

type flowEnergyTemperatureParams struct {
	Exact float64 `param:"exact" doc:"the exact Tc, for the summary"`
	TMin  float64 `param:"t_min" doc:"lowest temperature read" default:"0.5" check:"min=0.01"`
	TMax  float64 `param:"t_max" doc:"highest temperature read" default:"50"`
}

// flowEnergyTemperature reads a flow with the exact thermometer.
func flowEnergyTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[flowEnergyTemperatureParams]{
		Name:    "ising.flow_temperature",
		Version: 1,
		Doc: "The temperature of a flow as the exact thermometer reads it (see ising.energy_temperature): per step and starting " +
			"temperature, the temperature at which the lattice's exact mean energy per site equals the flowed configurations'. " +
			"Unlike a trained thermometer it needs no training and cannot be fooled by what a network learned (Veiga and Vicente, " +
			"arXiv:2006.10176); for configurations that are not Ising samples of one temperature it reads their energy, not their state.",
		In: []pipeline.InputSpec{
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L], int8 or float"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "the flow's starting temperatures: a table with column T", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "temperature", Kind: artifact.KindTable, Doc: "step, T (starting), t_mean (the reading), t_se, e_mean, at_bound (1 at t_min or t_max)",
				Columns: []string{"step", "T", "t_mean", "t_se", "e_mean", "at_bound"}},
			{Name: "trace", Kind: artifact.KindTable, Doc: "step, t_mean: the reading averaged over the starting temperatures",
				Columns: []string{"step", "t_mean"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "t_first, t_last: the reading averaged over starting temperatures at the first and last step; " +
				"dist_first, dist_last: the mean of |reading − exact| there; ratio: dist_last over dist_first; bound_last: the share of starting temperatures read at a bound at the last step"},
		},
		Memory: func(_ *flowEnergyTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes, "trace": tableBytes}, Peak: 3 * pipeline.One(in, "flow")}
		},
		Time: quick[flowEnergyTemperatureParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *flowEnergyTemperatureParams) error {
			if p.TMax <= p.TMin {
				return fmt.Errorf("t_max %v must exceed t_min %v", p.TMax, p.TMin)
			}
			a, temps, err := flowAndTemperatures(env, true)
			if err != nil {
				return err
			}
			steps, nT, n, L := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
			x := float32s(a)
			reads := make([]energyReading, steps*nT)
			if err := parallel(ctx, env.Threads(), steps*nT, func(i int) error {
				reads[i] = readEnergy(x[i*n*L*L:(i+1)*n*L*L], n, L, p.TMin, p.TMax)
				return nil
			}); err != nil {
				return err
			}
			var cols [6][]float64
			var trace [2][]float64
			for st := 0; st < steps; st++ {
				var sum float64
				for j := 0; j < nT; j++ {
					r := reads[st*nT+j]
					for k, v := range []float64{float64(st), temps[j], r.t, r.tse, r.e, indicator(r.bound)} {
						cols[k] = append(cols[k], v)
					}
					sum += r.t
				}
				trace[0], trace[1] = append(trace[0], float64(st)), append(trace[1], sum/float64(nT))
			}
			at := func(st int) (t, dist, bound float64) {
				for j := 0; j < nT; j++ {
					r := reads[st*nT+j]
					t += r.t / float64(nT)
					dist += math.Abs(r.t-p.Exact) / float64(nT)
					bound += indicator(r.bound) / float64(nT)
				}
				return
			}
			t0, d0, _ := at(0)
			t1, d1, b1 := at(steps - 1)
			if err := env.PutTable("temperature", artifact.NewTable([]string{"step", "T", "t_mean", "t_se", "e_mean", "at_bound"}, cols[:])); err != nil {
				return err
			}
			if err := env.PutTable("trace", artifact.NewTable([]string{"step", "t_mean"}, trace[:])); err != nil {
				return err
			}
			sc := artifact.Scalars{
				"t_first":    {Value: t0, Note: "reading at the first step, averaged over the starting temperatures"},
				"t_last":     {Value: t1, Note: "reading at the last step, averaged over the starting temperatures"},
				"dist_first": {Value: d0, Note: "mean |reading − exact| at the first step"},
				"dist_last":  {Value: d1, Note: "mean |reading − exact| at the last step"},
				"bound_last": {Value: b1, Note: "share of starting temperatures read at a bound at the last step"},
			}
			if d0 > 0 {
				sc["ratio"] = artifact.Scalar{Value: d1 / d0, Note: "dist_last / dist_first"}
			}
			return env.PutScalars("summary", sc)
		},
	})
}

// temperatureRows returns the index in temps of each wanted temperature, in
// the order wanted, or an error naming one that is not there (of what).
func temperatureRows(wanted, temps []float64, what string) ([]int, error) {
	var rows []int
	for _, want := range wanted {
		found := -1
		for i, T := range temps {
			if math.Abs(T-want) < 1e-9 {
				found = i
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("temperature %v is not among the %s's %v", want, what, temps)
		}
		rows = append(rows, found)
	}
	return rows, nil
}

// flowAndTemperatures reads a flow [step][T][sample][L][L] (input "flow")
// and its temperatures (column T of input "meta"), one per T of the flow;
// square asks for L×L lattices.
func flowAndTemperatures(env *pipeline.Env, square bool) (*artifact.Array, []float64, error) {
	a, err := env.Array("flow")
	if err != nil {
		return nil, nil, err
	}
	meta, err := env.Table("meta")
	if err != nil {
		return nil, nil, err
	}
	temps, err := meta.Col("T")
	if err != nil {
		return nil, nil, err
	}
	if len(a.Shape) != 5 || a.Shape[1] != len(temps) || (square && a.Shape[3] != a.Shape[4]) {
		return nil, nil, fmt.Errorf("flow: want [step][T][sample][L][L] with %d temperatures, got shape %v", len(temps), a.Shape)
	}
	return a, temps, nil
}
