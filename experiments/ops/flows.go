package ops

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/kadanoff/kadanoff/experiments/fit"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// flowMagnetization measures ⟨|m|⟩ of every step of a flow at every
// temperature.
func flowMagnetization() pipeline.Op {
	return &pipeline.Func{
		OpName:    "ising.flow_magnetization",
		OpVersion: 1,
		OpDoc: "Mean absolute magnetization per site ⟨|m|⟩, with its standard error over samples, of every step of a flow " +
			"[step][T][sample][L][L] (int8 spins or float32 means) at every temperature.",
		In: []pipeline.InputSpec{
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "m", Kind: artifact.KindTable, Doc: "step, T, abs_m, abs_m_err (standard error of the mean over samples)",
			Columns: []string{"step", "T", "abs_m", "abs_m_err"}}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
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
			t := &artifact.Table{}
			for j, name := range []string{"step", "T", "abs_m", "abs_m_err"} {
				t.Columns = append(t.Columns, artifact.Column{Name: name, Values: cols[j]})
			}
			return env.PutTable("m", t)
		},
	}
}

// criticalFit fits M(T) = A(Tc − T)^β for every step of a flow.
func criticalFit() pipeline.Op {
	return &pipeline.Func{
		OpName:    "fit.critical",
		OpVersion: 1,
		OpDoc: "Fits y = A (Tc − T)^β to the rows of a table at the given temperatures, separately for each value of a `by` column " +
			"(a flow's step): least squares with Tc above the data, standard errors from the covariance scaled by the residual variance, " +
			"and intervals from the Student t distribution with n − 3 degrees of freedom (Mathematica's NonlinearModelFit).",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a long table with the by, x, y (and err) columns",
			Check: pipeline.ColumnsCheck("by", "x", "y", "err")}},
		Par: []pipeline.ParamSpec{
			{Name: "x", Kind: spec.String, Doc: "column of the temperature", Default: pipeline.StringValue("T")},
			{Name: "y", Kind: spec.String, Doc: "column of the order parameter", Default: pipeline.StringValue("abs_m")},
			{Name: "err", Kind: spec.String, Doc: "column of y's standard error; when set, points are weighted by 1/err²", Default: pipeline.StringValue("")},
			{Name: "by", Kind: spec.String, Doc: "column whose values are fitted separately", Default: pipeline.StringValue("step")},
			{Name: "temperatures", Kind: spec.Floats, Doc: "the temperatures fitted (below Tc; at least 4 for an error)"},
			{Name: "level", Kind: spec.Float, Doc: "confidence level of the intervals", Default: pipeline.FloatValue(0.9), Check: fraction},
			{Name: "at", Kind: spec.Float, Doc: "the `by` value whose points and curve are output and summarised"},
			{Name: "exact", Kind: spec.Float, Doc: "the exact Tc, for the convergence summary"},
			{Name: "exact_beta", Kind: spec.Float, Doc: "the exact β, for the summary's beta_covers", Default: pipeline.FloatValue(0.125)},
		},
		ValidateFunc: func(p map[string]spec.Value) error {
			if len(p["temperatures"].Floats) < 4 {
				return fmt.Errorf("temperatures: at least 4 are needed to fit three parameters with an error, got %d", len(p["temperatures"].Floats))
			}
			return nil
		},
		Out: []pipeline.OutputSpec{
			{Name: "fits", Kind: artifact.KindTable, Doc: "per by value: Tc and β with standard errors, interval ends and half-widths; A; χ²; degrees of freedom",
				Columns: []string{"by", "tc", "tc_err", "tc_lo", "tc_hi", "tc_half", "beta", "beta_err", "beta_lo", "beta_hi", "beta_half", "a", "chi2", "dof"}},
			{Name: "points", Kind: artifact.KindTable, Doc: "the fitted points at `at`: x, y, err", Columns: []string{"x", "y", "err"}},
			{Name: "curve", Kind: artifact.KindTable, Doc: "the fitted law at `at` on a fine grid up to Tc: x, fit, and the fit's tc, tc_half, beta, beta_half repeated on every row (for a figure's note)",
				Columns: []string{"x", "fit", "tc", "tc_half", "beta", "beta_half"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "tc, beta (with errors), their interval ends and A at `at`; tc_covers, beta_covers: 1 when the interval at `at` contains exact (exact_beta), else 0; " +
				"converged_from: the first by value from which every interval contains `exact` (−1 if none); half_first, half_last, half_ratio: Tc's interval half-widths at the first and last by values and their ratio"},
		},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			t, err := env.Table("series")
			if err != nil {
				return err
			}
			col := func(name string) ([]float64, error) {
				if name == "" {
					return nil, nil
				}
				return t.Col(name)
			}
			by, err := col(env.String("by"))
			if err != nil {
				return err
			}
			xs, err := col(env.String("x"))
			if err != nil {
				return err
			}
			ys, err := col(env.String("y"))
			if err != nil {
				return err
			}
			es, err := col(env.String("err"))
			if err != nil {
				return err
			}
			want := env.Floats("temperatures")
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
					return fmt.Errorf("%s %v has %d of the %d temperatures", env.String("by"), b, len(rows), len(want))
				}
				keys = append(keys, b)
			}
			if len(keys) == 0 {
				return fmt.Errorf("no rows at the temperatures %v", want)
			}
			sort.Float64s(keys)
			level, at, exact := env.Float("level"), env.Float("at"), env.Float("exact")
			var out [14][]float64
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
					return fmt.Errorf("%s %v: %w", env.String("by"), b, err)
				}
				for j, v := range []float64{b, c.Tc, c.TcErr, c.TcLo, c.TcHi, (c.TcHi - c.TcLo) / 2, c.Beta, c.BetaErr, c.BetaLo, c.BetaHi,
					(c.BetaHi - c.BetaLo) / 2, c.A, c.Chi2, float64(c.Dof)} {
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
				return fmt.Errorf("at = %v is not a %s value of the table", at, env.String("by"))
			}
			fits := &artifact.Table{}
			for j, name := range []string{"by", "tc", "tc_err", "tc_lo", "tc_hi", "tc_half", "beta", "beta_err", "beta_lo", "beta_hi", "beta_half", "a", "chi2", "dof"} {
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
			put("converged_from", converged, 0, "first value from which every interval contains the exact Tc; -1 if none")
			first, last := out[5][0], out[5][len(out[5])-1]
			put("half_first", first, 0, "")
			put("half_last", last, 0, "")
			put("half_ratio", last/first, 0, "")
			if !math.IsNaN(atFit.TcErr) {
				put("tc_covers", indicator(atFit.TcLo <= exact && exact <= atFit.TcHi), 0, "")
			}
			if !math.IsNaN(atFit.BetaErr) {
				put("beta_covers", indicator(atFit.BetaLo <= env.Float("exact_beta") && env.Float("exact_beta") <= atFit.BetaHi), 0, "")
			}
			return env.PutScalars("summary", sc)
		},
	}
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// selectTemperatures keeps the configurations of some temperatures.
func selectTemperatures() pipeline.Op {
	return &pipeline.Func{
		OpName:    "ising.select",
		OpVersion: 1,
		OpDoc:     "Keeps the configurations [T][sample][L][L] and meta rows of the given temperatures, in the order given.",
		In: []pipeline.InputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "configurations [T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Par: []pipeline.ParamSpec{{Name: "temperatures", Kind: spec.Floats, Doc: "the temperatures kept (each must be a row of meta)"}},
		Out: []pipeline.OutputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "the configurations of those temperatures"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "their rows of meta"},
		},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			a, temps, err := spinsByTemperature(env, false)
			if err != nil {
				return err
			}
			meta, _ := env.Table("meta")
			per := a.Len() / a.Shape[0]
			var rows []int
			for _, want := range env.Floats("temperatures") {
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
	}
}
