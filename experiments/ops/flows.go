package ops

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/kadanoff/kadanoff/experiments/fit"
	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

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
		Run: func(ctx context.Context, env *pipeline.Env, p *flowMagnetizationParams) error {
			a, err := env.Array("flow")
			if err != nil {
				return err
			}
			meta, err := env.Table("meta")
			if err != nil {
				return err
			}
			temps, err := meta.Col("T")
			if err != nil {
				return err
			}
			if len(a.Shape) != 5 || a.Shape[3] != a.Shape[4] || a.Shape[1] != len(temps) {
				return fmt.Errorf("flow: want [step][T][sample][L][L] with %d temperatures, got shape %v", len(temps), a.Shape)
			}
			steps, nT, n, N := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]*a.Shape[4]
			values := a.Float64s()
			var cols [4][]float64
			for st := 0; st < steps; st++ {
				for ti := 0; ti < nT; ti++ {
					var s1, s2 float64
					for k := 0; k < n; k++ {
						base := ((st*nT+ti)*n + k) * N
						var m float64
						for _, v := range values[base : base+N] {
							m += v
						}
						m = math.Abs(m / float64(N))
						s1, s2 = s1+m, s2+m*m
					}
					mean := s1 / float64(n)
					se := 0.0
					if n > 1 {
						se = math.Sqrt(math.Max(0, s2/float64(n)-mean*mean) / float64(n-1))
					}
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

type criticalFitParams struct {
	X            string    `param:"x" doc:"column of the temperature" default:"T"`
	Y            string    `param:"y" doc:"column of the order parameter" default:"abs_m"`
	Err          string    `param:"err" doc:"column of y's standard error; when set, points are weighted by 1/err²" default:""`
	By           string    `param:"by" doc:"column whose values are fitted separately" default:"step"`
	Temperatures []float64 `param:"temperatures" doc:"the temperatures fitted (below Tc; at least 4 for an error)"`
	Level        float64   `param:"level" doc:"confidence level of the intervals" default:"0.9"`
	At           float64   "param:\"at\" doc:\"the `by` value whose points and curve are output and summarised\""
	Exact        float64   `param:"exact" doc:"the exact Tc, for the convergence summary"`
	ExactBeta    float64   `param:"exact_beta" doc:"the exact β, for the summary's beta_covers" default:"0.125"`
}

// criticalFit fits M(T) = A(Tc − T)^β for every step of a flow.
func criticalFit() pipeline.Op {
	return pipeline.Define(pipeline.Def[criticalFitParams]{
		Name:    "fit.critical",
		Version: 2,
		Doc: "Fits y = A (Tc − T)^β to the rows of a table at the given temperatures, separately for each value of a `by` column " +
			"(a flow's step): least squares with Tc above the data, standard errors from the covariance scaled by the residual variance, " +
			"and intervals from the Student t distribution with n − 3 degrees of freedom (Mathematica's NonlinearModelFit).",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a long table with the by, x, y (and err) columns",
			Check: pipeline.ColumnsCheck("by", "x", "y", "err")}},
		Validate: func(p *criticalFitParams) error {
			if len(p.Temperatures) < 4 {
				return fmt.Errorf("temperatures: at least 4 are needed to fit three parameters with an error, got %d", len(p.Temperatures))
			}
			return nil
		},
		Out: []pipeline.OutputSpec{
			{Name: "fits", Kind: artifact.KindTable, Doc: "per by value: Tc and β with standard errors, interval ends and half-widths; A; χ²; degrees of freedom; edge (1: Tc on the constraint)",
				Columns: []string{"by", "tc", "tc_err", "tc_lo", "tc_hi", "tc_half", "beta", "beta_err", "beta_lo", "beta_hi", "beta_half", "a", "chi2", "dof", "edge"}},
			{Name: "points", Kind: artifact.KindTable, Doc: "the fitted points at `at`: x, y, err", Columns: []string{"x", "y", "err"}},
			{Name: "curve", Kind: artifact.KindTable, Doc: "the fitted law at `at` on a fine grid up to Tc: x, fit, and the fit's tc, tc_half, beta, beta_half repeated on every row (for a figure's note)",
				Columns: []string{"x", "fit", "tc", "tc_half", "beta", "beta_half"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "tc, beta (with errors), their interval ends and A at `at`; tc_edge (1: the fit at `at` is on the constraint); tc_covers, beta_covers: 1 when the interval at `at` contains exact (exact_beta), else 0; " +
				"converged_from: the first by value from which every interval contains `exact` (−1 if none); half_first, half_last, half_ratio: Tc's interval half-widths at the first and last by values and their ratio"},
		},
		Checks: map[string]func(spec.Value) error{
			"level": fraction,
		},
		Memory: func(_ *criticalFitParams, in map[string][]float64) pipeline.Sizes {
			t := pipeline.Total(in)
			return pipeline.Sizes{Out: map[string]float64{"fits": t, "points": tableBytes, "curve": tableBytes}, Peak: 6 * t}
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *criticalFitParams) error {
			t, err := env.Table("series")
			if err != nil {
				return err
			}
			cols, err := columns(t, par.By, par.X, par.Y, par.Err)
			if err != nil {
				return err
			}
			by, xs, ys, es := cols[0], cols[1], cols[2], cols[3]
			want := par.Temperatures
			inFit := func(x float64) bool {
				for _, w := range want {
					if math.Abs(x-w) < 1e-9 {
						return true
					}
				}
				return false
			}
			groups := map[float64][]int{}
			for i, b := range by {
				if inFit(xs[i]) {
					groups[b] = append(groups[b], i)
				}
			}
			keys := make([]float64, 0, len(groups))
			for b, rows := range groups {
				if len(rows) != len(want) {
					return fmt.Errorf("%s %v has %d of the %d temperatures", par.By, b, len(rows), len(want))
				}
				keys = append(keys, b)
			}
			if len(keys) == 0 {
				return fmt.Errorf("no rows at the temperatures %v", want)
			}
			sort.Float64s(keys)
			level, at, exact := par.Level, par.At, par.Exact
			var out [15][]float64
			var atFit *fit.Critical
			var atRows []int
			converged := -1.0
			for _, b := range keys {
				rows := groups[b]
				x, y := make([]float64, len(rows)), make([]float64, len(rows))
				var sigma []float64
				for k, i := range rows {
					x[k], y[k] = xs[i], ys[i]
					if es != nil {
						sigma = append(sigma, math.Max(es[i], 1e-12))
					}
				}
				c, err := fit.FitCritical(x, y, sigma, level)
				if err != nil {
					return fmt.Errorf("%s %v: %w", par.By, b, err)
				}
				for j, v := range []float64{b, c.Tc, c.TcErr, c.TcLo, c.TcHi, (c.TcHi - c.TcLo) / 2, c.Beta, c.BetaErr, c.BetaLo, c.BetaHi,
					(c.BetaHi - c.BetaLo) / 2, c.A, c.Chi2, float64(c.Dof), indicator(c.Edge)} {
					out[j] = append(out[j], v)
				}
				covers := c.TcLo <= exact && exact <= c.TcHi
				switch {
				case covers && converged < 0:
					converged = b
				case !covers:
					converged = -1
				}
				if math.Abs(b-at) < 1e-9 {
					atFit, atRows = c, rows
				}
			}
			if atFit == nil {
				return fmt.Errorf("at = %v is not a %s value of the table", at, par.By)
			}
			fits := &artifact.Table{}
			for j, name := range []string{"by", "tc", "tc_err", "tc_lo", "tc_hi", "tc_half", "beta", "beta_err", "beta_lo", "beta_hi", "beta_half", "a", "chi2", "dof", "edge"} {
				fits.Columns = append(fits.Columns, artifact.Column{Name: name, Values: out[j]})
			}
			var px, py, pe []float64
			for _, i := range atRows {
				px, py = append(px, xs[i]), append(py, ys[i])
				e := 0.0
				if es != nil {
					e = es[i]
				}
				pe = append(pe, e)
			}
			lo := px[0]
			for _, v := range px {
				lo = math.Min(lo, v)
			}
			var cx, cy []float64
			for k := 0; k <= 200; k++ {
				x := lo - 0.05 + (atFit.Tc-lo+0.05)*float64(k)/200
				cx, cy = append(cx, x), append(cy, atFit.A*math.Pow(atFit.Tc-x, atFit.Beta))
			}
			if err := env.PutTable("fits", fits); err != nil {
				return err
			}
			if err := env.PutTable("points", &artifact.Table{Columns: []artifact.Column{{Name: "x", Values: px}, {Name: "y", Values: py}, {Name: "err", Values: pe}}}); err != nil {
				return err
			}
			rep := func(v float64) []float64 {
				out := make([]float64, len(cx))
				for i := range out {
					out[i] = v
				}
				return out
			}
			if err := env.PutTable("curve", &artifact.Table{Columns: []artifact.Column{{Name: "x", Values: cx}, {Name: "fit", Values: cy},
				{Name: "tc", Values: rep(atFit.Tc)}, {Name: "tc_half", Values: rep((atFit.TcHi - atFit.TcLo) / 2)},
				{Name: "beta", Values: rep(atFit.Beta)}, {Name: "beta_half", Values: rep((atFit.BetaHi - atFit.BetaLo) / 2)}}}); err != nil {
				return err
			}
			note := fmt.Sprintf("%g%% intervals, Student t with %d degrees of freedom", 100*level, atFit.Dof)
			// A number that the fit could not give (a singular covariance: a flat
			// magnetization) is left out, so a claim on it is "not evaluated",
			// never judged on a placeholder.
			sc := artifact.Scalars{}
			put := func(name string, v, e float64, note string) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return
				}
				if math.IsNaN(e) || math.IsInf(e, 0) {
					e = 0
				}
				sc[name] = artifact.Scalar{Value: v, Err: e, Note: note}
			}
			put("tc", atFit.Tc, atFit.TcErr, note)
			put("tc_lo", atFit.TcLo, 0, "")
			put("tc_hi", atFit.TcHi, 0, "")
			put("beta", atFit.Beta, atFit.BetaErr, note)
			put("beta_lo", atFit.BetaLo, 0, "")
			put("beta_hi", atFit.BetaHi, 0, "")
			put("a", atFit.A, atFit.AErr, "")
			put("tc_edge", indicator(atFit.Edge), 0, "1: the fit sits at the highest temperature fitted (β → 0) and bounds nothing")
			put("converged_from", converged, 0, "first value from which every interval contains the exact Tc; -1 if none")
			first, last := out[5][0], out[5][len(out[5])-1]
			put("half_first", first, 0, "")
			put("half_last", last, 0, "")
			put("half_ratio", last/first, 0, "")
			if !math.IsNaN(atFit.TcErr) {
				put("tc_covers", indicator(atFit.TcLo <= exact && exact <= atFit.TcHi), 0, "")
			}
			if !math.IsNaN(atFit.BetaErr) {
				put("beta_covers", indicator(atFit.BetaLo <= par.ExactBeta && par.ExactBeta <= atFit.BetaHi), 0, "")
			}
			return env.PutScalars("summary", sc)
		},
	})
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
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
			return pipeline.Sizes{Out: map[string]float64{"spins": s, "meta": tableBytes}, Peak: 2 * s}
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *selectTemperaturesParams) error {
			a, temps, err := spinsByTemperature(env, false)
			if err != nil {
				return err
			}
			meta, _ := env.Table("meta")
			per := a.Len() / a.Shape[0]
			var rows []int
			for _, want := range p.Temperatures {
				found := -1
				for i, T := range temps {
					if math.Abs(T-want) < 1e-9 {
						found = i
					}
				}
				if found < 0 {
					return fmt.Errorf("temperature %v is not among the data's %v", want, temps)
				}
				rows = append(rows, found)
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
		Run: func(ctx context.Context, env *pipeline.Env, p *flowScalingDimensionParams) error {
			a, err := env.Array("flow")
			if err != nil {
				return err
			}
			meta, err := env.Table("meta")
			if err != nil {
				return err
			}
			temps, err := meta.Col("T")
			if err != nil {
				return err
			}
			if len(a.Shape) != 5 || a.Shape[3] != a.Shape[4] || a.Shape[1] != len(temps) {
				return fmt.Errorf("flow: want [step][T][sample][L][L] with %d temperatures, got shape %v", len(temps), a.Shape)
			}
			steps, nT, n, L := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
			var rows []int // temperature indices analysed
			for _, want := range p.Temperatures {
				found := -1
				for i, T := range temps {
					if math.Abs(T-want) < 1e-9 {
						found = i
					}
				}
				if found < 0 {
					return fmt.Errorf("temperature %v is not among the flow's %v", want, temps)
				}
				rows = append(rows, found)
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

type seriesTailParams struct {
	By        string  `param:"by" doc:"column naming the curve" default:"T"`
	X         string  `param:"x" doc:"column along the curve" default:"step"`
	Y         string  `param:"y" doc:"column of the value" default:"delta"`
	From      float64 `param:"from" doc:"the tail starts at this x"`
	Level     float64 `param:"level" doc:"the level compared with the tails"`
	Tolerance float64 `param:"tolerance" doc:"a tail within this of the level counts as reaching it" default:"0.05" check:"min=0"`
}

// seriesTail summarises where each curve of a long table ends up.
func seriesTail() pipeline.Op {
	return pipeline.Define(pipeline.Def[seriesTailParams]{
		Name:    "series.tail",
		Version: 1,
		Doc: "Where the curves of a long table end up: for each value of the by column, the mean of y over the rows with x ≥ from " +
			"(the tail of a flow) and how much it drifts; then whether a level lies between the lowest and highest tail means, and how " +
			"many curves have settled at it.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a long table with the by, x and y columns",
			Check: pipeline.ColumnsCheck("by", "x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "tail[BY=v] (mean of y over the tail, with its standard error over the tail's rows) and drift[BY=v] (the change of the " +
				"tail's least-squares line from its first to its last x) for each curve; tail_min, tail_max; brackets: 1 when " +
				"tail_min < level < tail_max; settled: how many curves have settled at the level (tail within the tolerance of it, drift within the tolerance); curves"}},
		Memory: func(_ *seriesTailParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *seriesTailParams) error {
			t, err := env.Table("series")
			if err != nil {
				return err
			}
			by, err := t.Col(p.By)
			if err != nil {
				return err
			}
			xs, err := t.Col(p.X)
			if err != nil {
				return err
			}
			ys, err := t.Col(p.Y)
			if err != nil {
				return err
			}
			from, level, tol := p.From, p.Level, p.Tolerance
			var order []float64
			vals, at := map[float64][]float64{}, map[float64][]float64{}
			for i, b := range by {
				if xs[i] < from-1e-9 || math.IsNaN(ys[i]) {
					continue
				}
				if _, seen := vals[b]; !seen {
					order = append(order, b)
				}
				vals[b] = append(vals[b], ys[i])
				at[b] = append(at[b], xs[i])
			}
			if len(order) == 0 {
				return fmt.Errorf("no rows with %s ≥ %v", p.X, from)
			}
			sc := artifact.Scalars{}
			lo, hi, near := math.Inf(1), math.Inf(-1), 0
			for _, b := range order {
				v := vals[b]
				var s1, s2 float64
				for _, y := range v {
					s1, s2 = s1+y, s2+y*y
				}
				k := float64(len(v))
				mean := s1 / k
				se := 0.0
				if k > 1 {
					se = math.Sqrt(math.Max(0, s2/k-mean*mean) / (k - 1))
				}
				name := p.By + "=" + strconv.FormatFloat(b, 'g', -1, 64)
				sc["tail["+name+"]"] = artifact.Scalar{Value: mean, Err: se,
					Note: fmt.Sprintf("mean over %d rows with %s ≥ %v", len(v), p.X, from)}
				drift := driftOf(at[b], v)
				sc["drift["+name+"]"] = artifact.Scalar{Value: drift, Note: "change of the least-squares line of y over the tail"}
				lo, hi = math.Min(lo, mean), math.Max(hi, mean)
				if math.Abs(mean-level) <= tol && math.Abs(drift) <= tol {
					near++
				}
			}
			sc["tail_min"] = artifact.Scalar{Value: lo}
			sc["tail_max"] = artifact.Scalar{Value: hi}
			sc["brackets"] = artifact.Scalar{Value: indicator(lo < level && level < hi), Note: "1 when the level lies between the lowest and highest tails"}
			sc["settled"] = artifact.Scalar{Value: float64(near), Note: fmt.Sprintf("curves whose tail is within %v of %v and drifts by less than %v", tol, level, tol)}
			sc["curves"] = artifact.Scalar{Value: float64(len(order))}
			return env.PutScalars("summary", sc)
		},
	})
}

// driftOf is the change, from the first to the last x, of the least-squares
// line through the points (0 for fewer than two).
func driftOf(x, y []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx, sy, sxx, sxy = sx+x[i], sy+y[i], sxx+x[i]*x[i], sxy+x[i]*y[i]
	}
	n := float64(len(x))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	slope := (n*sxy - sx*sy) / den
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return slope * (hi - lo)
}

type flowTemperatureParams struct {
	Exact float64 `param:"exact" doc:"the exact Tc, for the summary"`
}

// flowTemperature reads a flow with a thermometer.
func flowTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[flowTemperatureParams]{
		Name:    "mlp.flow_temperature",
		Version: 1,
		Threads: pipeline.AllThreadsOf[flowTemperatureParams],
		Doc: "The temperature of a flow as a thermometer reads it: every configuration of [step][T][sample][L][L] is given the " +
			"temperature of its most probable class; per step and starting temperature, the mean and spread over samples.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an mlp.train thermometer"},
			{Name: "classes", Kind: artifact.KindTable, Doc: "the thermometer's classes: a table with column T, one row per class", Check: pipeline.RequireColumns("T")},
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "the flow's starting temperatures: a table with column T", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "temperature", Kind: artifact.KindTable, Doc: "step, T (starting), t_mean, t_sd (spread over samples), t_se (standard error of the mean)",
				Columns: []string{"step", "T", "t_mean", "t_sd", "t_se"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "dist_first, dist_last: the mean over starting temperatures of |t_mean − exact| at the first and last step; ratio: last over first"},
		},
		Memory: func(_ *flowTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes, "summary": tableBytes}, Peak: 9 * pipeline.One(in, "flow")}
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *flowTemperatureParams) error {
			net, ct, err := readThermometer(env)
			if err != nil {
				return err
			}
			meta, err := env.Table("meta")
			if err != nil {
				return err
			}
			temps, err := meta.Col("T")
			if err != nil {
				return err
			}
			a, err := env.Array("flow")
			if err != nil {
				return err
			}
			if len(a.Shape) != 5 || a.Shape[1] != len(temps) {
				return fmt.Errorf("flow: want [step][T][sample][L][L] with %d temperatures, got shape %v", len(temps), a.Shape)
			}
			x, _, _, err := configurations(a)
			if err != nil {
				return err
			}
			p, err := net.Predict(&linalg.Gemm{Limit: env.Threads}, x)
			if err != nil {
				return fmt.Errorf("flow: %w", err)
			}
			steps, nT, n := a.Shape[0], a.Shape[1], a.Shape[2]
			var cols [5][]float64
			exact := par.Exact
			var first, last float64
			for st := 0; st < steps; st++ {
				for ti := 0; ti < nT; ti++ {
					var s1, s2 float64
					for k := 0; k < n; k++ {
						row := p.Row((st*nT+ti)*n + k)
						best := 0
						for c, v := range row {
							if v > row[best] {
								best = c
							}
						}
						s1, s2 = s1+ct[best], s2+ct[best]*ct[best]
					}
					mean := s1 / float64(n)
					sd := math.Sqrt(math.Max(0, s2/float64(n)-mean*mean))
					for j, v := range []float64{float64(st), temps[ti], mean, sd, sd / math.Sqrt(float64(n))} {
						cols[j] = append(cols[j], v)
					}
					if st == 0 {
						first += math.Abs(mean-exact) / float64(nT)
					}
					if st == steps-1 {
						last += math.Abs(mean-exact) / float64(nT)
					}
				}
			}
			t := artifact.NewTable([]string{"step", "T", "t_mean", "t_sd", "t_se"}, cols[:])
			if err := env.PutTable("temperature", t); err != nil {
				return err
			}
			sc := artifact.Scalars{
				"dist_first": {Value: first, Note: "mean over starting temperatures of |measured T − Tc| at the first step"},
				"dist_last":  {Value: last, Note: "the same at the last step"},
			}
			if first > 0 {
				sc["ratio"] = artifact.Scalar{Value: last / first}
			}
			return env.PutScalars("summary", sc)
		},
	})
}

type tableSpreadParams struct {
	X  string  "param:\"x\" doc:\"column located at `at`\""
	Y  string  `param:"y" doc:"column of the value"`
	At float64 `param:"at" doc:"the x of the row read from each table"`
}

// tableSpread measures how a value varies across tables (repetitions).
func tableSpread() pipeline.Op {
	return pipeline.Define(pipeline.Def[tableSpreadParams]{
		Name:    "series.spread",
		Version: 1,
		Doc: "How a value varies across repetitions: from each table, the y of the row whose x is `at`; their mean, standard " +
			"deviation, minimum, maximum and range.",
		In:  []pipeline.InputSpec{{Name: "tables", Kind: artifact.KindTable, Doc: "the repetitions' tables (every replicate of a replicated step)", Many: true, Collect: true, Check: pipeline.ColumnsCheck("x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars, Doc: "mean, sd, min, max, range, count (non-finite values are left out)"}},
		Memory: func(_ *tableSpreadParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *tableSpreadParams) error {
			blobs, err := env.Inputs("tables")
			if err != nil {
				return err
			}
			var vals []float64
			for i, b := range blobs {
				t, err := artifact.DecodeCSV(b)
				if err != nil {
					return fmt.Errorf("table %d: %w", i+1, err)
				}
				xs, err := t.Col(p.X)
				if err != nil {
					return fmt.Errorf("table %d: %w", i+1, err)
				}
				ys, err := t.Col(p.Y)
				if err != nil {
					return fmt.Errorf("table %d: %w", i+1, err)
				}
				found := false
				for k, x := range xs {
					if math.Abs(x-p.At) < 1e-9 {
						found = true
						if !math.IsNaN(ys[k]) && !math.IsInf(ys[k], 0) {
							vals = append(vals, ys[k])
						}
					}
				}
				if !found {
					return fmt.Errorf("table %d has no row with %s = %v", i+1, p.X, p.At)
				}
			}
			if len(vals) == 0 {
				return fmt.Errorf("no finite %s at %s = %v", p.Y, p.X, p.At)
			}
			var s1, s2 float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range vals {
				s1, s2 = s1+v, s2+v*v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			k := float64(len(vals))
			mean := s1 / k
			sd := 0.0
			if k > 1 {
				sd = math.Sqrt(math.Max(0, s2/k-mean*mean) * k / (k - 1))
			}
			return env.PutScalars("summary", artifact.Scalars{
				"mean": {Value: mean}, "sd": {Value: sd}, "min": {Value: lo}, "max": {Value: hi}, "range": {Value: hi - lo}, "count": {Value: k},
			})
		},
	})
}
