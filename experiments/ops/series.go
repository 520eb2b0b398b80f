package ops

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/kadanoff/kadanoff/experiments/series"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The series ops: trends, levels, tails, growth and spreads of the curves in tables.

// seriesOps are the ops of this file, for All.
func seriesOps() []pipeline.Op {
	return []pipeline.Op{trend(), level(), seriesTail(), seriesGrowth(), tableSpread()}
}

type trendParams struct {
	X          string  `param:"x" doc:"column of x" default:"r"`
	Y          string  `param:"y" doc:"column of y" default:"g"`
	MinX       float64 `param:"min_x" doc:"smallest x included" default:"0.5"`
	Prominence float64 `param:"prominence" doc:"minimum peak prominence, as a fraction of max(y) - min(y)" default:"0.25" check:"min=0"`
}

func trend() pipeline.Op {
	return pipeline.Define(pipeline.Def[trendParams]{
		Name:    "series.trend",
		Version: 2,
		Doc: "Summarises a curve y(x) over x >= min_x: Spearman's rank correlation of y with x and its p-value, a " +
			"least-squares line (slope with its standard error, R² signed by the slope's direction, and the line's fall), and " +
			"the number of peaks whose prominence is at least the given fraction of the range of y.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "spearman_rho, spearman_p, slope (± error), fall_r2 (R² of the line, positive when it falls with x, negative when it rises: " +
				"a straight fall-off gives near 1), fall (the line's drop from the first to the last x), fall_fraction (that drop over |y| " +
				"at the first x: how far the curve falls relative to its offset), peaks, points"}},
		Memory: func(_ *trendParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[trendParams],
		Run: func(ctx context.Context, env *pipeline.Env, par *trendParams) error {
			_, xs, ys, err := seriesXY(env, par.X, par.Y)
			if err != nil {
				return err
			}
			var x, y []float64
			for i := range xs {
				if xs[i] >= par.MinX {
					x, y = append(x, xs[i]), append(y, ys[i])
				}
			}
			rho, p, err := series.Spearman(x, y)
			if err != nil {
				return err
			}
			slope, icept, slopeErr, err := series.LinearFit(x, y)
			if err != nil {
				return err
			}
			r2 := stat.RSquared(x, y, nil, icept, slope)
			if math.IsNaN(r2) { // a constant y: no line explains anything
				r2 = 0
			}
			if slope > 0 {
				r2 = -r2
			}
			x0, x1 := slices.Min(x), slices.Max(x)
			fall := slope * (x0 - x1)
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range y {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			peaks := series.Peaks(y, par.Prominence*(hi-lo))
			sc := artifact.Scalars{
				"spearman_rho": {Value: rho, Note: "Spearman rank correlation of y with x"},
				"spearman_p":   {Value: p, Note: "two-sided p-value of rho under no trend"},
				"slope":        {Value: slope, Err: slopeErr, Note: "least-squares slope dy/dx"},
				"fall_r2":      {Value: r2, Note: "R² of the least-squares line, signed: positive when y falls with x"},
				"fall":         {Value: fall, Note: "the line's drop from the smallest to the largest x"},

				"peaks":  {Value: float64(len(peaks)), Note: "peaks of prominence >= the threshold"},
				"points": {Value: float64(len(x)), Note: "points included"},
			}
			if y0 := icept + slope*x0; y0 != 0 {
				sc["fall_fraction"] = artifact.Scalar{Value: fall / math.Abs(y0), Note: "the drop over |y| of the line at the smallest x"}
			}
			return env.PutScalars("summary", sc)
		},
	})
}

type levelParams struct {
	X     string  `param:"x" doc:"column of x"`
	Y     string  `param:"y" doc:"column of y"`
	Err   string  `param:"err" doc:"column of y's error, or empty" default:""`
	Level float64 `param:"level" doc:"the level whose first crossing is sought"`
	At    float64 `param:"at" doc:"the x at which y is interpolated"`
}

func level() pipeline.Op {
	return pipeline.Define(pipeline.Def[levelParams]{
		Name:    "series.level",
		Version: 1,
		Doc: "Where a curve y(x) (rows in increasing x) first and last crosses a level, by linear interpolation, and the value of y " +
			"(and of its error column, if named) interpolated at a given x.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y", "err")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "first_crossing and last_crossing (absent when y never crosses the level), crossings (count), y_at (± error)"}},
		Memory: func(_ *levelParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[levelParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *levelParams) error {
			t, x, y, err := seriesXY(env, p.X, p.Y)
			if err != nil {
				return err
			}
			var e []float64
			if name := p.Err; name != "" {
				if e, err = t.Col(name); err != nil {
					return err
				}
			}
			lvl, at := p.Level, p.At
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
						out["first_crossing"] = artifact.Scalar{Value: xc, Note: fmt.Sprintf("first x where %s crosses %v", p.Y, lvl)}
					}
					out["last_crossing"] = artifact.Scalar{Value: xc, Note: fmt.Sprintf("last x where %s crosses %v", p.Y, lvl)}
					crossings++
				}
			}
			out["crossings"] = artifact.Scalar{Value: float64(crossings), Note: "number of crossings of the level"}
			for i := 1; i < len(x); i++ {
				if at >= x[i-1] && at <= x[i] {
					w := (at - x[i-1]) / (x[i] - x[i-1])
					s := artifact.Scalar{Value: (1-w)*y[i-1] + w*y[i], Note: fmt.Sprintf("%s interpolated at %s = %v", p.Y, p.X, at)}
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
	})
}

// seriesXY reads the "series" input and its columns x and y.
func seriesXY(env *pipeline.Env, xName, yName string) (t *artifact.Table, x, y []float64, err error) {
	if t, err = env.Table("series"); err != nil {
		return nil, nil, nil, err
	}
	if x, err = t.Col(xName); err != nil {
		return nil, nil, nil, err
	}
	y, err = t.Col(yName)
	return t, x, y, err
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
		Version: 3,
		Doc: "Where the curves of a long table end up: for each value of the by column, the mean of y over the rows with x ≥ from " +
			"(the tail of a flow) and how much it drifts; then whether a level lies between the lowest and highest tail means, and how " +
			"many curves have settled at it.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a long table with the by, x and y columns",
			Check: pipeline.ColumnsCheck("by", "x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "tail[BY=v] (mean of y over the tail, with its standard error over the tail's rows) and drift[BY=v] (the change of the " +
				"tail's least-squares line from its first to its last x) for each curve; tail_min, tail_max; brackets: 1 when " +
				"tail_min < level < tail_max; sides: 1 when the curve of the lowest by value ends below the level and that of the highest above it; settled: how many curves have settled at the level (tail within the tolerance of it, drift within the tolerance); " +
				"converged: how many curves have settled anywhere (drift within the tolerance); curves"}},
		Memory: func(_ *seriesTailParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[seriesTailParams],
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
			lo, hi, near, still := math.Inf(1), math.Inf(-1), 0, 0
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
				if math.Abs(drift) <= tol {
					still++
					if math.Abs(mean-level) <= tol {
						near++
					}
				}
			}
			sc["tail_min"] = artifact.Scalar{Value: lo}
			sc["tail_max"] = artifact.Scalar{Value: hi}
			sc["brackets"] = artifact.Scalar{Value: indicator(lo < level && level < hi), Note: "1 when the level lies between the lowest and highest tails"}
			first, last := slices.Min(order), slices.Max(order)
			below, above := stat.Mean(vals[first], nil), stat.Mean(vals[last], nil)
			sc["sides"] = artifact.Scalar{Value: indicator(below < level && level < above),
				Note: fmt.Sprintf("1 when the curve of %s = %v ends below %v and that of %s = %v above it", p.By, first, level, p.By, last)}
			sc["settled"] = artifact.Scalar{Value: float64(near), Note: fmt.Sprintf("curves whose tail is within %v of %v and drifts by less than %v", tol, level, tol)}
			sc["converged"] = artifact.Scalar{Value: float64(still), Note: fmt.Sprintf("curves whose tail drifts by less than %v, wherever it lies", tol)}
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

type seriesGrowthParams struct {
	X string `param:"x" doc:"column of x"`
	Y string `param:"y" doc:"column of y (positive)"`
}

func seriesGrowth() pipeline.Op {
	return pipeline.Define(pipeline.Def[seriesGrowthParams]{
		Name:    "series.growth",
		Version: 1,
		Doc: "Geometric growth of y with x: a least-squares fit of ln y = a + b·x (y > 0), reported as the factor e^b by which " +
			"y grows per unit of x, with its error from the slope's standard error.",
		In:  []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars, Doc: "factor (± error), first and last y, points"}},
		Memory: func(_ *seriesGrowthParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[seriesGrowthParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *seriesGrowthParams) error {
			_, xs, ys, err := seriesXY(env, p.X, p.Y)
			if err != nil {
				return err
			}
			if len(xs) < 3 {
				return fmt.Errorf("%d points: need at least 3", len(xs))
			}
			ly := make([]float64, len(ys))
			for i, y := range ys {
				if !(y > 0) {
					return fmt.Errorf("y = %v at x = %v is not positive", y, xs[i])
				}
				ly[i] = math.Log(y)
			}
			slope, _, slopeErr, err := series.LinearFit(xs, ly)
			if err != nil {
				return err
			}
			f := math.Exp(slope)
			return env.PutScalars("summary", artifact.Scalars{
				"factor": {Value: f, Err: f * slopeErr, Note: "growth factor of y per unit x"},
				"first":  {Value: ys[0], Note: "y at the first x"},
				"last":   {Value: ys[len(ys)-1], Note: "y at the last x"},
				"points": {Value: float64(len(xs)), Note: "points fitted"},
			})
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
		Time: quick[tableSpreadParams],
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
