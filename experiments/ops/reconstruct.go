package ops

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

type rbmReconstructParams struct {
	Layers int `param:"layers" doc:"layers gone through (default all: 0)" default:"0" check:"min=0"`
}

func rbmReconstruct() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmReconstructParams]{
		Name:    "rbm.reconstruct",
		Version: 1,
		Threads: pipeline.AllThreadsOf[rbmReconstructParams],
		Doc: "Reconstructions of configurations through the first `layers` layers of a stack: up with mean activations, " +
			"then back down with visible means, in the ±1 convention (binary means p mapped to 2p − 1).",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an rbm.train model"},
			{Name: "data", Kind: artifact.KindArray, Doc: "±1 configurations [...][L][L]"},
		},
		Out: []pipeline.OutputSpec{{Name: "reconstruction", Kind: artifact.KindArray, Doc: "float32, the data's shape"}},
		Memory: func(_ *rbmReconstructParams, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data")
			return pipeline.Sizes{Out: map[string]float64{"reconstruction": 4 * d}, Peak: 16 * d}
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *rbmReconstructParams) error {
			s, v, lead, unitShape, err := modelAndData(env)
			if err != nil {
				return err
			}
			u := s.Layers[0].Units
			k := par.Layers
			if k == 0 {
				k = len(s.Layers)
			}
			r, err := s.Reconstruct(&linalg.Gemm{Limit: env.Threads}, v, k)
			if err != nil {
				return err
			}
			out := make([]float32, 0, len(r.Data))
			for i := 0; i < r.Rows; i++ {
				for _, x := range r.Row(i) {
					out = append(out, spins(x, u))
				}
			}
			return env.PutArray("reconstruction", artifact.NewFloat32(out, append(append([]int{}, lead...), unitShape...)...))
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
