package ops

import (
	"context"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mlp"
	"github.com/kadanoff/kadanoff/experiments/series"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// readThermometer loads an mlp.train model and its classes' temperatures.
func readThermometer(env *pipeline.Env) (*mlp.Net, []float64, error) {
	data, err := env.Input("model")
	if err != nil {
		return nil, nil, err
	}
	net, err := mlp.Unmarshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	classes, err := env.Table("classes")
	if err != nil {
		return nil, nil, err
	}
	ct, err := classes.Col("T")
	if err != nil {
		return nil, nil, err
	}
	if len(ct) != net.Classes() {
		return nil, nil, fmt.Errorf("classes: %d temperatures for a thermometer of %d classes", len(ct), net.Classes())
	}
	return net, ct, nil
}

// configSets reads the "data" input as sets of configurations
// [set...][sample][L][L] and the optional "meta" input's temperature per set
// (NaN without one).
func configSets(env *pipeline.Env) (a *artifact.Array, L, n, sets int, setT []float64, err error) {
	if a, err = env.Array("data"); err != nil {
		return nil, 0, 0, 0, nil, err
	}
	d := len(a.Shape)
	if d < 3 || a.Shape[d-1] != a.Shape[d-2] {
		return nil, 0, 0, 0, nil, fmt.Errorf("data: want [set...][sample][L][L], got shape %v", a.Shape)
	}
	L, n = a.Shape[d-1], a.Shape[d-3]
	sets = a.Len() / (n * L * L)
	setT = make([]float64, sets)
	for i := range setT {
		setT[i] = math.NaN()
	}
	if len(env.InputSources("meta")) == 0 { // an omitted Many input is absent from the task
		return a, L, n, sets, setT, nil
	}
	mb, err := env.Input("meta")
	if err != nil {
		return nil, 0, 0, 0, nil, err
	}
	mt, err := artifact.DecodeCSV(mb)
	if err == nil {
		setT, err = mt.Col("T")
	}
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("meta: %w", err)
	}
	if len(setT) != sets {
		return nil, 0, 0, 0, nil, fmt.Errorf("meta: %d temperatures for %d sets", len(setT), sets)
	}
	return a, L, n, sets, setT, nil
}

type mlpTemperatureParams struct {
}

func mlpTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[mlpTemperatureParams]{
		Name:    "mlp.temperature",
		Version: 1,
		Threads: pipeline.AllThreadsOf[mlpTemperatureParams],
		Doc: "The temperature a thermometer reads: each configuration of [set...][sample][L][L] gets the temperature of its " +
			"most probable class; per set, the mean, spread and standard error over samples, and the fractions read at the " +
			"coldest and the hottest class (a reading pinned there is a bound, not a measurement). Configurations may be " +
			"±1 spins or values (block averages, mean activations), fed as they are.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an mlp.train thermometer for L×L lattices"},
			{Name: "classes", Kind: artifact.KindTable, Doc: "the thermometer's classes: a table with column T, one row per class", Check: pipeline.RequireColumns("T")},
			{Name: "data", Kind: artifact.KindArray, Doc: "configurations [set...][sample][L][L], int8 or float"},
			{Name: "meta", Kind: artifact.KindTable, Many: true, Doc: "optional: the sets' temperatures (a table with column T, one row per set), copied into the output",
				Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "temperature", Kind: artifact.KindTable,
			Doc:     "set, T (the set's own temperature from meta, NaN without), t_mean, t_sd (spread over samples), t_se (standard error of the mean), at_min, at_max (fractions at the grid's ends)",
			Columns: []string{"set", "T", "t_mean", "t_sd", "t_se", "at_min", "at_max"}}},
		Memory: func(_ *mlpTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes}, Peak: 9 * pipeline.One(in, "data")}
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *mlpTemperatureParams) error {
			net, ct, err := readThermometer(env)
			if err != nil {
				return err
			}
			a, L, n, sets, setT, err := configSets(env)
			if err != nil {
				return err
			}
			x := linalg.Matrix{Rows: sets * n, Cols: L * L, Stride: L * L, Data: float32s(a)}
			p, err := net.Predict(&linalg.Gemm{Limit: env.Threads}, x)
			if err != nil {
				return fmt.Errorf("data: %w", err)
			}
			lo, hi := 0, 0
			for c := range ct {
				if ct[c] < ct[lo] {
					lo = c
				}
				if ct[c] > ct[hi] {
					hi = c
				}
			}
			var cols [7][]float64
			for s := 0; s < sets; s++ {
				var s1, s2, atLo, atHi float64
				for k := 0; k < n; k++ {
					row := p.Row(s*n + k)
					best := 0
					for c, v := range row {
						if v > row[best] {
							best = c
						}
					}
					s1, s2 = s1+ct[best], s2+ct[best]*ct[best]
					if best == lo {
						atLo++
					}
					if best == hi {
						atHi++
					}
				}
				mean := s1 / float64(n)
				sd := math.Sqrt(math.Max(0, s2/float64(n)-mean*mean))
				for j, v := range []float64{float64(s), setT[s], mean, sd, sd / math.Sqrt(float64(n)), atLo / float64(n), atHi / float64(n)} {
					cols[j] = append(cols[j], v)
				}
			}
			t := artifact.NewTable([]string{"set", "T", "t_mean", "t_sd", "t_se", "at_min", "at_max"}, cols[:])
			return env.PutTable("temperature", t)
		},
	})
}

type tableStackParams struct {
	Column string    `param:"column" doc:"name of the added column"`
	Values []float64 `param:"values" doc:"its value for each table, in order"`
}

func tableStack() pipeline.Op {
	return pipeline.Define(pipeline.Def[tableStackParams]{
		Name:    "table.stack",
		Version: 1,
		Doc: "Stacks tables with the same columns into one long table, adding a column `column` whose value is `values[i]` " +
			"on the rows of table i (a flow step, a layer, a lattice size).",
		In:  []pipeline.InputSpec{{Name: "tables", Kind: artifact.KindTable, Doc: "tables with the same columns", Many: true}},
		Out: []pipeline.OutputSpec{{Name: "table", Kind: artifact.KindTable, Doc: "the rows of every table, with the added column first"}},
		Memory: func(_ *tableStackParams, in map[string][]float64) pipeline.Sizes {
			t := pipeline.Total(in)
			return pipeline.Sizes{Out: map[string]float64{"table": t}, Peak: 4 * t}
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *tableStackParams) error {
			blobs, err := env.Inputs("tables")
			if err != nil {
				return err
			}
			vals := p.Values
			if len(vals) != len(blobs) {
				return fmt.Errorf("values: %d values for %d tables", len(vals), len(blobs))
			}
			out := &artifact.Table{Columns: []artifact.Column{{Name: p.Column}}}
			var names []string
			for i, b := range blobs {
				t, err := artifact.DecodeCSV(b)
				if err != nil {
					return fmt.Errorf("table %d: %w", i+1, err)
				}
				if i == 0 {
					for _, c := range t.Columns {
						if c.Name == p.Column {
							return fmt.Errorf("table 1 already has a column %q", c.Name)
						}
						names = append(names, c.Name)
						out.Columns = append(out.Columns, artifact.Column{Name: c.Name})
					}
				}
				if len(t.Columns) != len(names) {
					return fmt.Errorf("table %d has %d columns, table 1 has %d (%v)", i+1, len(t.Columns), len(names), names)
				}
				rows := 0
				for j, c := range t.Columns {
					if c.Name != names[j] {
						return fmt.Errorf("table %d: column %d is %q, table 1's is %q", i+1, j+1, c.Name, names[j])
					}
					out.Columns[j+1].Values = append(out.Columns[j+1].Values, c.Values...)
					rows = len(c.Values)
				}
				for r := 0; r < rows; r++ {
					out.Columns[0].Values = append(out.Columns[0].Values, vals[i])
				}
			}
			return env.PutTable("table", out)
		},
	})
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

type tablePickParams struct {
	X       string  "param:\"x\" doc:\"column located at `at`\""
	At      float64 `param:"at" doc:"the value of x"`
	Y       string  `param:"y" doc:"column of the number"`
	Err     string  `param:"err" doc:"column of its error, or empty" default:""`
	By      string  `param:"by" doc:"a second column to match, or empty" default:""`
	ByValue float64 `param:"by_value" doc:"its value" default:"0"`
}

func tablePick() pipeline.Op {
	return pipeline.Define(pipeline.Def[tablePickParams]{
		Name:    "table.pick",
		Version: 1,
		Doc:     "One number of a long table: y on the row where x equals `at` and, if `by` is named, column `by` equals `by_value`.",
		In:      []pipeline.InputSpec{{Name: "table", Kind: artifact.KindTable, Doc: "a table with the x, y (and by) columns", Check: pipeline.ColumnsCheck("x", "y", "by")}},
		Out:     []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars, Doc: "value (± error)"}},
		Memory: func(_ *tablePickParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *tablePickParams) error {
			t, err := env.Table("table")
			if err != nil {
				return err
			}
			cols, err := columns(t, p.X, p.Y, p.Err, p.By)
			if err != nil {
				return err
			}
			xs, ys, es, bs := cols[0], cols[1], cols[2], cols[3]
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
			for i := range xs {
				if near(xs[i], p.At) && (bs == nil || near(bs[i], p.ByValue)) {
					v := artifact.Scalar{Value: ys[i], Note: fmt.Sprintf("%s at %s = %v", p.Y, p.X, xs[i])}
					if es != nil && !math.IsNaN(es[i]) && !math.IsInf(es[i], 0) {
						v.Err = es[i] // a reading at a bound has no error
					}
					return env.PutScalars("summary", artifact.Scalars{"value": v})
				}
			}
			if bs != nil {
				return fmt.Errorf("no row with %s = %v and %s = %v", p.X, p.At, p.By, p.ByValue)
			}
			return fmt.Errorf("no row with %s = %v", p.X, p.At)
		},
	})
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
			eLo, eHi := exact.Energy(L, lo), exact.Energy(L, hi)
			var cols [7][]float64
			for s := 0; s < sets; s++ {
				var s1, s2 float64
				for k := 0; k < n; k++ {
					c := x[(s*n+k)*L*L : (s*n+k+1)*L*L]
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
				t, bound := lo, 1.0
				switch {
				case mean >= eHi:
					t = hi
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
					t, bound = (a+b)/2, 0
				}
				tse := math.NaN()
				if c := exact.SpecificHeat(L, t); bound == 0 && c > 0 {
					tse = se / c // the specific heat per site is de/dT
				}
				for j, v := range []float64{float64(s), setT[s], t, tse, mean, se, bound} {
					cols[j] = append(cols[j], v)
				}
			}
			t := artifact.NewTable([]string{"set", "T", "t_mean", "t_se", "e_mean", "e_se", "at_bound"}, cols[:])
			return env.PutTable("temperature", t)
		},
	})
}

// columns returns the named columns of t, nil for an empty name.
func columns(t *artifact.Table, names ...string) ([][]float64, error) {
	out := make([][]float64, len(names))
	for i, name := range names {
		if name == "" {
			continue
		}
		var err error
		if out[i], err = t.Col(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}
