package ops

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kadanoff/kadanoff/experiments/correlator"
	"github.com/kadanoff/kadanoff/experiments/linalg"
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

type panelGParams struct {
	Distance string  `param:"distance" doc:"distance between sites" default:"periodic-euclidean" check:"oneof=periodic-euclidean"`
	Range    string  `param:"range" doc:"half keeps r <= L/2, where every direction is sampled; all keeps every distance up to L/√2" default:"half" check:"oneof=half,all"`
	BinWidth float64 `param:"bin_width" doc:"width of distance bins centred on multiples of it; 0 keeps every distinct distance" default:"0" check:"min=0"`
}

func panelG() pipeline.Op {
	return pipeline.Define(pipeline.Def[panelGParams]{
		Name:    "correlator.panel_g",
		Version: 1,
		Doc: "Two-point function G(r) of correlator panels: the mean of C(i)·C(j) over ordered site pairs at " +
			"periodic Euclidean distance r (optionally binned), summed over the panels of the stack. r = 0 holds the mean of C².",
		In:  []pipeline.InputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "panels [n][L][L] or [L][L]"}},
		Out: []pipeline.OutputSpec{{Name: "g", Kind: artifact.KindTable, Doc: "columns r, g, pairs (ordered pairs per panel)", Columns: []string{"r", "g", "pairs"}}},
		Memory: func(p *panelGParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"g": tableBytes}, Peak: 4 * pipeline.One(in, "panels")}
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *panelGParams) error {
			a, err := env.Array("panels")
			if err != nil {
				return err
			}
			data, L, err := panelStack(a)
			if err != nil {
				return err
			}
			c, err := correlator.PanelG(data, L, p.BinWidth)
			if err != nil {
				return err
			}
			var r, g, pairs []float64
			for i := range c.R {
				if p.Range == "half" && c.R[i] > float64(L)/2+1e-9 {
					continue
				}
				r, g, pairs = append(r, c.R[i]), append(g, c.G[i]), append(pairs, float64(c.Pairs[i]))
			}
			return env.PutTable("g", &artifact.Table{Columns: []artifact.Column{
				{Name: "r", Values: r}, {Name: "g", Values: g}, {Name: "pairs", Values: pairs},
			}})
		},
	})
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
		Version: 1,
		Doc: "Summarises a curve y(x) over x >= min_x: Spearman's rank correlation of y with x and its p-value, a " +
			"least-squares slope with its standard error, and the number of peaks whose prominence is at least " +
			"the given fraction of the range of y.",
		In: []pipeline.InputSpec{{Name: "series", Kind: artifact.KindTable, Doc: "a table with the x and y columns", Check: pipeline.ColumnsCheck("x", "y")}},
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "spearman_rho, spearman_p, slope (± error), peaks, points"}},
		Memory: func(_ *trendParams, in map[string][]float64) pipeline.Sizes {
			return small(4 * pipeline.Total(in))
		},
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
			slope, _, slopeErr, err := series.LinearFit(x, y)
			if err != nil {
				return err
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range y {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			peaks := series.Peaks(y, par.Prominence*(hi-lo))
			return env.PutScalars("summary", artifact.Scalars{
				"spearman_rho": {Value: rho, Note: "Spearman rank correlation of y with x"},
				"spearman_p":   {Value: p, Note: "two-sided p-value of rho under no trend"},
				"slope":        {Value: slope, Err: slopeErr, Note: "least-squares slope dy/dx"},
				"peaks":        {Value: float64(len(peaks)), Note: "peaks of prominence >= the threshold"},
				"points":       {Value: float64(len(x)), Note: "points included"},
			})
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

type hiddenVisibleParams struct {
}

func hiddenVisible() pipeline.Op {
	return pipeline.Define(pipeline.Def[hiddenVisibleParams]{
		Name:    "correlator.hidden_visible",
		Version: 1,
		Threads: pipeline.AllThreadsOf[hiddenVisibleParams],
		Doc: "Hidden–visible correlator panels: for each hidden unit a, C_a(i) = ⟨v_i h_a⟩ − ⟨v_i⟩⟨h_a⟩ over the samples, one " +
			"L×L panel per hidden unit. The hidden units are anything computed per sample: block spins of rg.block (one per " +
			"site of the coarse lattice) or a network layer's activations (rbm.activations). float64 means, float32 products " +
			"summed in float64 per chunk of 2048 samples.",
		In: []pipeline.InputSpec{
			{Name: "visible", Kind: artifact.KindArray, Doc: "visible configurations [...][L][L]"},
			{Name: "hidden", Kind: artifact.KindArray, Doc: "hidden units of the same samples [...][units...] (the same leading axes)"},
		},
		Out: []pipeline.OutputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "float32 [hidden unit][L][L]"}},
		Memory: func(_ *hiddenVisibleParams, in map[string][]float64) pipeline.Sizes {
			// Float32 copies and centred chunks of both inputs; the panels are units × sites, unknown until run.
			return pipeline.Sizes{Out: map[string]float64{"panels": math.NaN()}, Peak: 10 * pipeline.Total(in)}
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *hiddenVisibleParams) error {
			v, err := env.Array("visible")
			if err != nil {
				return err
			}
			h, err := env.Array("hidden")
			if err != nil {
				return err
			}
			if len(v.Shape) < 3 || v.Shape[len(v.Shape)-1] != v.Shape[len(v.Shape)-2] {
				return fmt.Errorf("visible: want samples of lattices [...][L][L], got shape %v", v.Shape)
			}
			L := v.Shape[len(v.Shape)-1]
			lead := v.Shape[:len(v.Shape)-2]
			if len(h.Shape) <= len(lead) || !slices.Equal(h.Shape[:len(lead)], lead) {
				return fmt.Errorf("hidden: shape %v does not start with the visible samples' axes %v", h.Shape, lead)
			}
			n := v.Len() / (L * L)
			H := h.Len() / n
			c, err := correlator.HiddenVisible(&linalg.Gemm{Limit: env.Threads}, float32s(v), L*L, float32s(h), H)
			if err != nil {
				return err
			}
			out := make([]float32, len(c))
			for i, x := range c {
				out[i] = float32(x)
			}
			return env.PutArray("panels", artifact.NewFloat32(out, H, L, L))
		},
	})
}

type panelLocalityParams struct {
	Radius     float64 `param:"radius" doc:"radius of the neighbourhood of the peak, in lattice spacings" default:"2" check:"min=0"`
	Threshold  float64 `param:"threshold" doc:"patch threshold as a fraction of the panel's largest |C|, in (0, 1]" default:"0.5"`
	Surrogates int     `param:"surrogates" doc:"phase-randomized surrogates averaged for the baseline" default:"20" check:"min=1"`
}

func panelLocality() pipeline.Op {
	return pipeline.Define(pipeline.Def[panelLocalityParams]{
		Name:    "correlator.locality",
		Seeded:  true,
		Version: 3,
		Threads: pipeline.AllThreadsOf[panelLocalityParams],
		Doc: "Locality of correlator panels, as numbers. Brightness is measured above the panel's median |C| (near Tc the " +
			"background is far from zero): the excess max(|C| − median, 0). Per panel: the share of the summed excess within " +
			"periodic distance `radius` of its peak; the same share for phase-randomized surrogates of the panel (the same power " +
			"spectrum, so the same smoothness and G(r), random phases; the mean over `surrogates`), whose ratio is about 1 for a " +
			"smooth random field and large for one patch; and the number of separate patches (nearest-neighbour connected sets " +
			"of sites whose excess is at least `threshold` times the peak's).",
		In: []pipeline.InputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "panels [n][L][L] or [L][L]"}},
		Out: []pipeline.OutputSpec{
			{Name: "panels", Kind: artifact.KindTable, Doc: "per panel: unit, share, surrogate, ratio, patches, patch_sites, peak_x, peak_y",
				Columns: []string{"unit", "share", "surrogate", "ratio", "patches", "patch_sites", "peak_x", "peak_y"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "ratio_median, ratio_min, share_median, surrogate_median, " +
				"single_patch (fraction of panels with one patch), multi_patch (fraction with more), patches_mean, patch_sites (median " +
				"sites per patch), panels"},
		},
		Checks: map[string]func(spec.Value) error{
			"threshold": fractionOpen,
		},
		Memory: func(_ *panelLocalityParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"panels": tableBytes, "summary": tableBytes}, Peak: 4 * pipeline.One(in, "panels")}
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *panelLocalityParams) error {
			a, err := env.Array("panels")
			if err != nil {
				return err
			}
			data, L, err := panelStack(a)
			if err != nil {
				return err
			}
			n := len(data) / (L * L)
			phases, err := correlator.NewPhases(L, p.Surrogates, env.Rand("surrogate"))
			if err != nil {
				return err
			}
			cols := make([][]float64, 8)
			var ratios, shares, surrogate, sizes []float64
			single, multi, patches := 0, 0, 0
			locs := make([]correlator.Locality, n)
			err = parallel(ctx, env.Threads(), n, func(k int) error {
				var err error
				if locs[k], err = correlator.PanelLocality(data[k*L*L:(k+1)*L*L], L, p.Radius, p.Threshold, phases); err != nil {
					return fmt.Errorf("panel %d: %w", k, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for k, loc := range locs {
				for j, v := range []float64{float64(k), loc.Share, loc.Surrogate, loc.Ratio(), float64(loc.Patches), float64(loc.Sites), float64(loc.PeakX), float64(loc.PeakY)} {
					cols[j] = append(cols[j], v)
				}
				ratios, shares, surrogate = append(ratios, loc.Ratio()), append(shares, loc.Share), append(surrogate, loc.Surrogate)
				if loc.Patches > 0 {
					sizes = append(sizes, float64(loc.Sites)/float64(loc.Patches))
				}
				patches += loc.Patches
				switch {
				case loc.Patches == 1:
					single++
				case loc.Patches > 1:
					multi++
				}
			}
			t := artifact.NewTable([]string{"unit", "share", "surrogate", "ratio", "patches", "patch_sites", "peak_x", "peak_y"}, cols[:])
			if err := env.PutTable("panels", t); err != nil {
				return err
			}
			return env.PutScalars("summary", artifact.Scalars{
				"ratio_median":     {Value: median(ratios), Note: "median over panels of share / surrogate share"},
				"ratio_min":        {Value: slices.Min(ratios), Note: "least localized panel's share / surrogate share"},
				"share_median":     {Value: median(shares), Note: "median share of Σ|C| within the radius of the peak"},
				"surrogate_median": {Value: median(surrogate), Note: "the same for the phase-randomized surrogates"},
				"single_patch":     {Value: float64(single) / float64(n), Note: "fraction of panels with exactly one patch"},
				"multi_patch":      {Value: float64(multi) / float64(n), Note: "fraction of panels with several patches"},
				"patches_mean":     {Value: float64(patches) / float64(n), Note: "mean number of patches per panel"},
				"panels":           {Value: float64(n), Note: "panels measured"},
				"patch_sites":      {Value: median(sizes), Note: "median over panels of the mean sites per patch"},
			})
		},
	})
}

// median returns the median of x (x is reordered).
func median(x []float64) float64 {
	slices.Sort(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// fractionOpen checks a value in (0, 1].
func fractionOpen(v spec.Value) error {
	if v.Float <= 0 || v.Float > 1 {
		return fmt.Errorf("want a fraction in (0, 1], got %v", v.Float)
	}
	return nil
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
		Run: func(ctx context.Context, env *pipeline.Env, p *scalarRatioParams) error {
			read := func(input, key string) (artifact.Scalar, error) {
				data, err := env.Input(input)
				if err != nil {
					return artifact.Scalar{}, err
				}
				s, err := artifact.DecodeJSON(data)
				if err != nil {
					return artifact.Scalar{}, fmt.Errorf("%s: %w", input, err)
				}
				v, ok := s[key]
				if !ok {
					return artifact.Scalar{}, fmt.Errorf("%s has no scalar %q (has %v)", input, key, s.Names())
				}
				return v, nil
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
