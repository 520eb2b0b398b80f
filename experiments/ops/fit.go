package ops

import (
	"context"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/fit"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The fit ops: critical-law fits.

// fitOps are the ops of this file, for All.
func fitOps() []pipeline.Op {
	return []pipeline.Op{criticalFit()}
}

type criticalFitParams struct {
	X            string    `param:"x" doc:"column of the temperature" default:"T"`
	Y            string    `param:"y" doc:"column of the order parameter" default:"abs_m"`
	Err          string    `param:"err" doc:"column of y's standard error, output with the points; when set and weighted, points are weighted by 1/err²" default:""`
	Weighted     bool      `param:"weighted" doc:"weight the points by 1/err² (when err is set); false fits them equally and only reports the errors" default:"true"`
	By           string    `param:"by" doc:"column whose values are fitted separately" default:"step"`
	Temperatures []float64 `param:"temperatures" doc:"the temperatures fitted (below Tc; at least 4 for an error)"`
	Level        float64   `param:"level" doc:"confidence level of the intervals" default:"0.9"`
	At           float64   "param:\"at\" doc:\"the `by` value whose points and curve are output and summarised\""
	Exact        float64   `param:"exact" doc:"the exact Tc, for the convergence summary"`
	ExactBeta    float64   `param:"exact_beta" doc:"the exact β, for the summary's beta_covers" default:"0.125"`
	Resolution   float64   `param:"resolution" doc:"an interval locates a value when it contains it and its half-width is at most this (Tc); wider intervals, of fits that run away, locate nothing" default:"0.1" check:"min=0"`
	BetaRes      float64   `param:"beta_resolution" doc:"the same for β" default:"0.125" check:"min=0"`
}

// criticalFit fits M(T) = A(Tc − T)^β for every step of a flow.
func criticalFit() pipeline.Op {
	return pipeline.Define(pipeline.Def[criticalFitParams]{
		Name:    "fit.critical",
		Version: 4,
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
				"tc_half, beta_half: the intervals' half-widths at `at`; converged_from: the first by value from which every interval locates `exact` " +
				"(contains it and is no wider than the resolution; −1 if none); tc_0: Tc fitted at the first by value (a flow's n = 0: the data's own, finite-size, " +
				"critical temperature as this fit sees it); converged_from_0: the first by value from which every interval locates tc_0; half_first, half_last, half_ratio: Tc's interval half-widths at the first and last by values and their ratio"},
		},
		Checks: map[string]func(spec.Value) error{
			"level": fraction,
		},
		Memory: func(_ *criticalFitParams, in map[string][]float64) pipeline.Sizes {
			t := pipeline.Total(in)
			return pipeline.Sizes{Out: map[string]float64{"fits": t, "points": tableBytes, "curve": tableBytes}, Peak: 6 * t}
		},
		Time: quick[criticalFitParams],
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
			weights := es
			if !par.Weighted {
				weights = nil
			}
			series, err := fit.FitCriticalSeries(by, xs, ys, weights, par.Temperatures, par.Level)
			if err != nil {
				return fmt.Errorf("by column %s: %w", par.By, err)
			}
			level, at := par.Level, par.At
			var out [15][]float64
			for i, c := range series.Fits {
				for j, v := range []float64{series.By[i], c.Tc, c.TcErr, c.TcLo, c.TcHi, (c.TcHi - c.TcLo) / 2, c.Beta, c.BetaErr, c.BetaLo, c.BetaHi,
					(c.BetaHi - c.BetaLo) / 2, c.A, c.Chi2, float64(c.Dof), indicator(c.Edge)} {
					out[j] = append(out[j], v)
				}
			}
			g := series.Group(at)
			if g < 0 {
				return fmt.Errorf("at = %v is not a %s value of the table", at, par.By)
			}
			atFit, atRows := series.Fits[g], series.Rows[g]
			converged := series.ConvergedFrom(par.Exact, par.Resolution)
			base := series.Fits[0]
			converged0 := series.ConvergedFrom(base.Tc, par.Resolution)
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
			put("tc_half", (atFit.TcHi-atFit.TcLo)/2, 0, "")
			put("beta_half", (atFit.BetaHi-atFit.BetaLo)/2, 0, "")
			put("converged_from", converged, 0, fmt.Sprintf("first value from which every interval contains the exact Tc and is at most %v wide (half); -1 if none", par.Resolution))
			put("tc_0", base.Tc, base.TcErr, fmt.Sprintf("Tc fitted at %s = %v", par.By, series.By[0]))
			put("converged_from_0", converged0, 0, fmt.Sprintf("first value from which every interval contains tc_0 and is at most %v wide (half); -1 if none", par.Resolution))
			first, last := out[5][0], out[5][len(out[5])-1]
			put("half_first", first, 0, "")
			put("half_last", last, 0, "")
			put("half_ratio", last/first, 0, "")
			// A fit pinned at the constraint has no interval: it locates nothing
			// (0), rather than going unmeasured.
			put("tc_covers", indicator(fit.Locates(atFit.TcLo, atFit.TcHi, par.Exact, par.Resolution)), 0,
				fmt.Sprintf("1 when the interval contains the exact Tc and its half-width is at most %v (0 for a fit at the constraint, which has none)", par.Resolution))
			put("beta_covers", indicator(fit.Locates(atFit.BetaLo, atFit.BetaHi, par.ExactBeta, par.BetaRes)), 0,
				fmt.Sprintf("1 when the interval contains the exact β and its half-width is at most %v (0 for a fit at the constraint)", par.BetaRes))
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
