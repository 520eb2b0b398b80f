package ops

import (
	"context"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/correlator"
	"github.com/kadanoff/kadanoff/experiments/series"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// panelStack returns the panels of an array shaped [L][L] or [n][L][L].
func panelStack(a *artifact.Array) (data []float64, L int, err error) {
	switch len(a.Shape) {
	case 2:
		if a.Shape[0] == a.Shape[1] {
			return a.Float64s(), a.Shape[0], nil
		}
	case 3:
		if a.Shape[1] == a.Shape[2] {
			return a.Float64s(), a.Shape[1], nil
		}
	}
	return nil, 0, fmt.Errorf("want panels shaped [L][L] or [n][L][L], got %v", a.Shape)
}

func panelG() pipeline.Op {
	return &pipeline.Func{
		OpName:    "correlator.panel_g",
		OpVersion: 1,
		OpDoc: "Two-point function G(r) of correlator panels: the mean of C(i)·C(j) over ordered site pairs at " +
			"periodic Euclidean distance r (optionally binned), summed over the panels of the stack. r = 0 holds the mean of C².",
		In: []pipeline.InputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "panels [n][L][L] or [L][L]"}},
		Par: []pipeline.ParamSpec{
			{Name: "distance", Kind: spec.String, Doc: "distance between sites", Default: pipeline.StringValue("periodic-euclidean"),
				Check: pipeline.OneOf("periodic-euclidean")},
			{Name: "range", Kind: spec.String, Doc: "half keeps r <= L/2, where every direction is sampled; all keeps every distance up to L/√2",
				Default: pipeline.StringValue("half"), Check: pipeline.OneOf("half", "all")},
			{Name: "bin_width", Kind: spec.Float, Doc: "width of distance bins centred on multiples of it; 0 keeps every distinct distance",
				Default: pipeline.FloatValue(0), Check: pipeline.AtLeast(0)},
		},
		Out: []pipeline.OutputSpec{{Name: "g", Kind: artifact.KindTable, Doc: "columns r, g, pairs (ordered pairs per panel)", Columns: []string{"r", "g", "pairs"}}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			a, err := env.Array("panels")
			if err != nil {
				return err
			}
			data, L, err := panelStack(a)
			if err != nil {
				return err
			}
			c, err := correlator.PanelG(data, L, env.Float("bin_width"))
			if err != nil {
				return err
			}
			var r, g, pairs []float64
			for i := range c.R {
				if env.String("range") == "half" && c.R[i] > float64(L)/2+1e-9 {
					continue
				}
				r, g, pairs = append(r, c.R[i]), append(g, c.G[i]), append(pairs, float64(c.Pairs[i]))
			}
			return env.PutTable("g", &artifact.Table{Columns: []artifact.Column{
				{Name: "r", Values: r}, {Name: "g", Values: g}, {Name: "pairs", Values: pairs},
			}})
		},
	}
}

func trend() pipeline.Op {
	return &pipeline.Func{
		OpName:    "series.trend",
		OpVersion: 1,
		OpDoc: "Summarises a curve y(x) over x >= min_x: Spearman's rank correlation of y with x and its p-value, a " +
			"least-squares slope with its standard error, and the number of peaks whose prominence is at least " +
			"the given fraction of the range of y.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y")}},
		Par: []pipeline.ParamSpec{
			{Name: "x", Kind: spec.String, Doc: "column of x", Default: pipeline.StringValue("r")},
			{Name: "y", Kind: spec.String, Doc: "column of y", Default: pipeline.StringValue("g")},
			{Name: "min_x", Kind: spec.Float, Doc: "smallest x included", Default: pipeline.FloatValue(0.5)},
			{Name: "prominence", Kind: spec.Float, Doc: "minimum peak prominence, as a fraction of max(y) - min(y)",
				Default: pipeline.FloatValue(0.25), Check: pipeline.AtLeast(0)},
		},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "spearman_rho, spearman_p, slope (± error), peaks, points"}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			_, xs, ys, err := seriesXY(env)
			if err != nil {
				return err
			}
			var x, y []float64
			for i := range xs {
				if xs[i] >= env.Float("min_x") {
					x, y = append(x, xs[i]), append(y, ys[i])
				}
			}
			rho, p, err := series.Spearman(x, y)
			if err != nil {
				return err
			}
			slope, _, slopeErr, err := series.LinearFit(x, y)
			if err != nil {
				return err
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range y {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			peaks := series.Peaks(y, env.Float("prominence")*(hi-lo))
			return env.PutScalars("summary", artifact.Scalars{
				"spearman_rho": {Value: rho, Note: "Spearman rank correlation of y with x"},
				"spearman_p":   {Value: p, Note: "two-sided p-value of rho under no trend"},
				"slope":        {Value: slope, Err: slopeErr, Note: "least-squares slope dy/dx"},
				"peaks":        {Value: float64(len(peaks)), Note: "peaks of prominence >= the threshold"},
				"points":       {Value: float64(len(x)), Note: "points included"},
			})
		},
	}
}

func level() pipeline.Op {
	return &pipeline.Func{
		OpName:    "series.level",
		OpVersion: 1,
		OpDoc: "Where a curve y(x) (rows in increasing x) first and last crosses a level, by linear interpolation, and the value of y " +
			"(and of its error column, if named) interpolated at a given x.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y", "err")}},
		Par: []pipeline.ParamSpec{
			{Name: "x", Kind: spec.String, Doc: "column of x"},
			{Name: "y", Kind: spec.String, Doc: "column of y"},
			{Name: "err", Kind: spec.String, Doc: "column of y's error, or empty", Default: pipeline.StringValue("")},
			{Name: "level", Kind: spec.Float, Doc: "the level whose first crossing is sought"},
			{Name: "at", Kind: spec.Float, Doc: "the x at which y is interpolated"},
		},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "first_crossing and last_crossing (absent when y never crosses the level), crossings (count), y_at (± error)"}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			t, x, y, err := seriesXY(env)
			if err != nil {
				return err
			}
			var e []float64
			if name := env.String("err"); name != "" {
				if e, err = t.Col(name); err != nil {
					return err
				}
			}
			lvl, at := env.Float("level"), env.Float("at")
			out := artifact.Scalars{}
			crossings := 0
			for i := 1; i < len(x); i++ {
				a, b := y[i-1]-lvl, y[i]-lvl
				if a == 0 || a*b < 0 {
					xc := x[i-1]
					if a != 0 {
						xc = x[i-1] + (x[i]-x[i-1])*a/(a-b)
					}
					if crossings == 0 {
						out["first_crossing"] = artifact.Scalar{Value: xc, Note: fmt.Sprintf("first x where %s crosses %v", env.String("y"), lvl)}
					}
					out["last_crossing"] = artifact.Scalar{Value: xc, Note: fmt.Sprintf("last x where %s crosses %v", env.String("y"), lvl)}
					crossings++
				}
			}
			out["crossings"] = artifact.Scalar{Value: float64(crossings), Note: "number of crossings of the level"}
			for i := 1; i < len(x); i++ {
				if at >= x[i-1] && at <= x[i] {
					w := (at - x[i-1]) / (x[i] - x[i-1])
					s := artifact.Scalar{Value: (1-w)*y[i-1] + w*y[i], Note: fmt.Sprintf("%s interpolated at %s = %v", env.String("y"), env.String("x"), at)}
					if e != nil {
						s.Err = math.Hypot((1-w)*e[i-1], w*e[i])
					}
					out["y_at"] = s
				}
			}
			if _, ok := out["y_at"]; !ok {
				return fmt.Errorf("x = %v lies outside the series [%v, %v]", at, x[0], x[len(x)-1])
			}
			return env.PutScalars("summary", out)
		},
	}
}

// seriesXY reads the "series" input and its columns named by the x and y parameters.
func seriesXY(env *pipeline.Env) (t *artifact.Table, x, y []float64, err error) {
	if t, err = env.Table("series"); err != nil {
		return nil, nil, nil, err
	}
	if x, err = t.Col(env.String("x")); err != nil {
		return nil, nil, nil, err
	}
	y, err = t.Col(env.String("y"))
	return t, x, y, err
}
