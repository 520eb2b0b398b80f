package ops

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The table, array and scalars ops: picking, stacking, comparing and summarising
// outputs of other steps.

// tableOps are the ops of this file, for All.
func tableOps() []pipeline.Op {
	return []pipeline.Op{tableStack(), tablePick(), arrayTake(), arrayCompare(), arrayNorms(), scalarRatio(), scalarMax(), scalarMin()}
}

// table builds a table from named columns.
func table(names []string, cols map[string][]float64) *artifact.Table {
	t := &artifact.Table{}
	for _, n := range names {
		t.Columns = append(t.Columns, artifact.Column{Name: n, Values: cols[n]})
	}
	return t
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

// fraction checks a float in [0, 1).
func fraction(v spec.Value) error {
	if v.Float < 0 || v.Float >= 1 {
		return fmt.Errorf("must be in [0, 1), got %v", v.Float)
	}
	return nil
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
		Time: quick[tableStackParams],
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
		Time: quick[tablePickParams],
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

type arrayTakeParams struct {
	Start int `param:"start" doc:"first lattice" default:"0" check:"min=0"`
	Count int `param:"count" doc:"lattices taken" default:"1" check:"min=1"`
}

func arrayTake() pipeline.Op {
	return pipeline.Define(pipeline.Def[arrayTakeParams]{
		Name:    "array.take",
		Version: 1,
		Doc: "A few lattices of an array: `count` lattices from index `start`, counting over the leading axes of [...][L][L] " +
			"(so a figure that draws one configuration does not carry, or publish, the whole data set).",
		In:  []pipeline.InputSpec{{Name: "array", Kind: artifact.KindArray, Doc: "lattices [...][L][L]"}},
		Out: []pipeline.OutputSpec{{Name: "array", Kind: artifact.KindArray, Doc: "[count][L][L], of the input's type"}},
		Memory: func(_ *arrayTakeParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"array": pipeline.One(in, "array"), pipeline.UnitsKey("array"): pipeline.Units(in, "array")},
				Peak: 9 * pipeline.One(in, "array")}
		},
		Time: quick[arrayTakeParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *arrayTakeParams) error {
			a, err := env.Array("array")
			if err != nil {
				return err
			}
			d := len(a.Shape)
			if d < 2 || a.Shape[d-1] != a.Shape[d-2] {
				return fmt.Errorf("array: want lattices [...][L][L], got shape %v", a.Shape)
			}
			L := a.Shape[d-1]
			n := a.Len() / (L * L)
			start, count := p.Start, p.Count
			if start+count > n {
				return fmt.Errorf("lattices %d to %d of %d", start, start+count-1, n)
			}
			lo, hi := start*L*L, (start+count)*L*L
			switch a.DType {
			case artifact.Int8:
				return env.PutArray("array", artifact.NewInt8(append([]int8(nil), a.I8[lo:hi]...), count, L, L))
			case artifact.Float32:
				return env.PutArray("array", artifact.NewFloat32(append([]float32(nil), a.F32[lo:hi]...), count, L, L))
			}
			return env.PutArray("array", artifact.NewFloat64(append([]float64(nil), a.Float64s()[lo:hi]...), count, L, L))
		},
	})
}

type arrayCompareParams struct {
}

func arrayCompare() pipeline.Op {
	return pipeline.Define(pipeline.Def[arrayCompareParams]{
		Name:    "array.compare",
		Version: 1,
		Doc: "How alike two arrays of the same shape [...][sample][L][L] are: Pearson's r over all elements and the median " +
			"over samples of each sample's r, the root-mean-square difference, and the mean |magnetization| of each with their ratio.",
		In: []pipeline.InputSpec{
			{Name: "a", Kind: artifact.KindArray, Doc: "lattices [...][L][L]"},
			{Name: "b", Kind: artifact.KindArray, Doc: "lattices of the same shape"},
		},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars, Doc: "r, r_sample_median, rmse, abs_m_a, abs_m_b, abs_m_ratio (b over a)"}},
		Memory: func(_ *arrayCompareParams, in map[string][]float64) pipeline.Sizes {
			return small(9 * pipeline.Total(in))
		},
		Time: quick[arrayCompareParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *arrayCompareParams) error {
			a, err := env.Array("a")
			if err != nil {
				return err
			}
			b, err := env.Array("b")
			if err != nil {
				return err
			}
			d := len(a.Shape)
			if d < 2 || !slices.Equal(a.Shape, b.Shape) || a.Shape[d-1] != a.Shape[d-2] {
				return fmt.Errorf("want two arrays of lattices of one shape, got %v and %v", a.Shape, b.Shape)
			}
			N := a.Shape[d-1] * a.Shape[d-1]
			x, y := a.Float64s(), b.Float64s()
			n := len(x) / N
			pearson := func(x, y []float64) float64 {
				var mx, my float64
				for i := range x {
					mx, my = mx+x[i], my+y[i]
				}
				mx, my = mx/float64(len(x)), my/float64(len(y))
				var sxy, sxx, syy float64
				for i := range x {
					sxy += (x[i] - mx) * (y[i] - my)
					sxx += (x[i] - mx) * (x[i] - mx)
					syy += (y[i] - my) * (y[i] - my)
				}
				return sxy / math.Sqrt(sxx*syy)
			}
			var rs []float64
			var se, ma, mb float64
			for s := 0; s < n; s++ {
				xs, ys := x[s*N:(s+1)*N], y[s*N:(s+1)*N]
				if r := pearson(xs, ys); !math.IsNaN(r) {
					rs = append(rs, r)
				}
				var m1, m2 float64
				for i := range xs {
					se += (xs[i] - ys[i]) * (xs[i] - ys[i])
					m1, m2 = m1+xs[i], m2+ys[i]
				}
				ma, mb = ma+math.Abs(m1)/float64(N), mb+math.Abs(m2)/float64(N)
			}
			ma, mb = ma/float64(n), mb/float64(n)
			sc := artifact.Scalars{
				"r":       {Value: pearson(x, y), Note: "Pearson's r over all elements"},
				"rmse":    {Value: math.Sqrt(se / float64(len(x))), Note: "root-mean-square difference"},
				"abs_m_a": {Value: ma, Note: "mean |m| of a"},
				"abs_m_b": {Value: mb, Note: "mean |m| of b"},
			}
			if len(rs) > 0 {
				sc["r_sample_median"] = artifact.Scalar{Value: median(rs), Note: "median over samples of each sample's r"}
			}
			if ma > 0 {
				sc["abs_m_ratio"] = artifact.Scalar{Value: mb / ma, Note: "mean |m| of b over a's"}
			}
			return env.PutScalars("summary", sc)
		},
	})
}

type arrayNormsParams struct {
	Dead float64 `param:"dead" doc:"the fraction of the largest norm below which a lattice counts as dead" default:"0.05"`
}

func arrayNorms() pipeline.Op {
	return pipeline.Define(pipeline.Def[arrayNormsParams]{
		Name:    "array.norms",
		Version: 2,
		Doc: "The Euclidean norm of each lattice of [n][L][L] (a hidden unit's receptive field, say), how many are dead " +
			"(below `dead` times the largest), and each one's coverage, the participation ratio (Σ|x|)² / (N Σx²): the share of " +
			"the lattice a field effectively spans (one site: 1/N; uniform: 1).",
		In: []pipeline.InputSpec{{Name: "array", Kind: artifact.KindArray, Doc: "lattices [n][L][L] or vectors [n][k]"}},
		Out: []pipeline.OutputSpec{
			{Name: "norms", Kind: artifact.KindTable, Doc: "unit, norm, coverage", Columns: []string{"unit", "norm", "coverage"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "dead (count), dead_fraction, norm_median, norm_max, coverage_median (of the live units), units"},
		},
		Checks: map[string]func(spec.Value) error{
			"dead": fractionOpen,
		},
		Memory: func(_ *arrayNormsParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"norms": tableBytes, "summary": tableBytes}, Peak: 9 * pipeline.One(in, "array")}
		},
		Time: quick[arrayNormsParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *arrayNormsParams) error {
			a, err := env.Array("array")
			if err != nil {
				return err
			}
			if len(a.Shape) < 2 {
				return fmt.Errorf("want [n][...], got shape %v", a.Shape)
			}
			n := a.Shape[0]
			x := a.Float64s()
			k := len(x) / n
			units, norms, cover := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range norms {
				var s, a float64
				for _, v := range x[i*k : (i+1)*k] {
					s, a = s+v*v, a+math.Abs(v)
				}
				units[i], norms[i] = float64(i), math.Sqrt(s)
				if s > 0 {
					cover[i] = a * a / (float64(k) * s)
				}
			}
			top := slices.Max(norms)
			dead := 0
			var live []float64
			for i, v := range norms {
				if v < p.Dead*top {
					dead++
				} else {
					live = append(live, cover[i])
				}
			}
			if err := env.PutTable("norms", &artifact.Table{Columns: []artifact.Column{{Name: "unit", Values: units}, {Name: "norm", Values: slices.Clone(norms)}, {Name: "coverage", Values: cover}}}); err != nil {
				return err
			}
			return env.PutScalars("summary", artifact.Scalars{
				"dead":            {Value: float64(dead), Note: "units whose norm is below the fraction of the largest"},
				"dead_fraction":   {Value: float64(dead) / float64(n)},
				"norm_median":     {Value: median(norms)},
				"norm_max":        {Value: top},
				"coverage_median": {Value: median(live), Note: "median participation ratio of the live units"},
				"units":           {Value: float64(n)},
			})
		},
	})
}

type scalarRatioParams struct {
	KeyNum string `param:"key_num" doc:"the numerator's key"`
	KeyDen string `param:"key_den" doc:"the denominator's key (default key_num)" default:""`
}

func scalarRatio() pipeline.Op {
	return pipeline.Define(pipeline.Def[scalarRatioParams]{
		Name:    "scalars.ratio",
		Version: 1,
		Doc: "The ratio of two measured numbers, num[key_num] / den[key_den], with its error propagated from theirs " +
			"(independent errors), so a claim can compare two steps' results.",
		In: []pipeline.InputSpec{
			{Name: "num", Kind: artifact.KindScalars, Doc: "scalars holding the numerator"},
			{Name: "den", Kind: artifact.KindScalars, Doc: "scalars holding the denominator"},
		},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars, Doc: "ratio (± error), num, den"}},
		Memory: func(_ *scalarRatioParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[scalarRatioParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *scalarRatioParams) error {
			read := func(input, key string) (artifact.Scalar, error) {
				data, err := env.Input(input)
				if err != nil {
					return artifact.Scalar{}, err
				}
				return scalarOf(data, key, input)
			}
			kd := p.KeyDen
			if kd == "" {
				kd = p.KeyNum
			}
			a, err := read("num", p.KeyNum)
			if err != nil {
				return err
			}
			b, err := read("den", kd)
			if err != nil {
				return err
			}
			if b.Value == 0 {
				return fmt.Errorf("den %s is zero", kd)
			}
			r := a.Value / b.Value
			rerr := math.Abs(r) * math.Hypot(a.Err/a.Value, b.Err/b.Value)
			if a.Value == 0 {
				rerr = a.Err / math.Abs(b.Value)
			}
			return env.PutScalars("summary", artifact.Scalars{
				"ratio": {Value: r, Err: rerr, Note: p.KeyNum + " / " + kd},
				"num":   {Value: a.Value, Err: a.Err, Note: a.Note},
				"den":   {Value: b.Value, Err: b.Err, Note: b.Note},
			})
		},
	})
}

type scalarMaxParams struct {
	Key string `param:"key" doc:"the key read from every input"`
}

// scalarMax is the largest of several measured numbers.
func scalarMax() pipeline.Op {
	return scalarExtreme("scalars.max", "max", "largest", "The largest of several measured numbers, values[i][key]: e.g. the worst share of readings at a thermometer's bound "+
		"over the layers a claim compares, for the claim's condition.", 1)
}

// scalarMin is the smallest of several measured numbers.
func scalarMin() pipeline.Op {
	return scalarExtreme("scalars.min", "min", "smallest", "The smallest of several measured numbers, values[i][key]: e.g. the flow whose variational "+
		"bound lies lowest against the exact value, for a check that every flow of a scan respects it.", -1)
}

// scalarExtreme is scalars.max (sign 1) or scalars.min (sign −1), whose
// outputs are named out and argOUT.
func scalarExtreme(name, out, word, doc string, sign float64) pipeline.Op {
	return pipeline.Define(pipeline.Def[scalarMaxParams]{
		Name:    name,
		Version: 1,
		Doc:     doc,
		In:      []pipeline.InputSpec{{Name: "values", Kind: artifact.KindScalars, Doc: "scalars holding the key", Many: true}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: fmt.Sprintf("%s (with the error of the %s), arg%s (its input's index, from 0)", out, word, out)}},
		Memory: func(_ *scalarMaxParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
		Time: quick[scalarMaxParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *scalarMaxParams) error {
			blobs, err := env.Inputs("values")
			if err != nil {
				return err
			}
			if len(blobs) == 0 {
				return fmt.Errorf("values: no inputs")
			}
			best, arg := artifact.Scalar{Value: math.Inf(-1)}, -1
			for i, data := range blobs {
				v, err := scalarOf(data, p.Key, fmt.Sprintf("values[%d]", i))
				if err != nil {
					return err
				}
				if arg < 0 || sign*v.Value > sign*best.Value {
					best, arg = v, i
				}
			}
			return env.PutScalars("summary", artifact.Scalars{
				out:         {Value: best.Value, Err: best.Err, Note: best.Note},
				"arg" + out: {Value: float64(arg), Note: "the input holding the " + word + " value, counted from 0"},
			})
		},
	})
}

// scalarOf decodes scalars and returns the one named key, or an error
// naming the input (what) and the scalars it has.
func scalarOf(data []byte, key, what string) (artifact.Scalar, error) {
	s, err := artifact.DecodeJSON(data)
	if err != nil {
		return artifact.Scalar{}, fmt.Errorf("%s: %w", what, err)
	}
	v, ok := s[key]
	if !ok {
		return artifact.Scalar{}, fmt.Errorf("%s has no scalar %q (has %v)", what, key, s.Names())
	}
	return v, nil
}
