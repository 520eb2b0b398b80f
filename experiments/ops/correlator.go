package ops

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kadanoff/kadanoff/experiments/correlator"
	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The correlator ops: two-point functions of panels, hidden–visible correlators
// and their locality.

// correlatorOps are the ops of this file, for All.
func correlatorOps() []pipeline.Op {
	return []pipeline.Op{panelG(), hiddenVisible(), panelLocality()}
}

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
		Time: quick[panelGParams],
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
		// Float32 copies and centred chunks of both inputs, and the panels,
		// hidden units × visible sites (with their float64 sums: measured 18
		// bytes a pair for 1024 × 4096), where the inputs' units are known.
		Memory: func(_ *hiddenVisibleParams, in map[string][]float64) pipeline.Sizes {
			pairs := pipeline.Units(in, "visible") * pipeline.Units(in, "hidden")
			if math.IsNaN(pairs) {
				return pipeline.Sizes{Out: map[string]float64{"panels": math.NaN()}, Peak: 10 * pipeline.Total(in)}
			}
			return pipeline.Sizes{Out: map[string]float64{"panels": 4 * pairs, pipeline.UnitsKey("panels"): pipeline.Units(in, "visible")},
				Peak: 10*pipeline.Total(in) + 24*pairs}
		},
		Time: func(_ *hiddenVisibleParams, in map[string][]float64) time.Duration {
			// One product of the centred hidden and visible matrices.
			n := pipeline.One(in, "visible") / pipeline.Units(in, "visible")
			pairs := pipeline.Units(in, "visible") * pipeline.Units(in, "hidden")
			return estimate(1 + 2*n*pairs/boundFlops + pipeline.Total(in)/quickRate)
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
		Version: 4,
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
				"single_patch (fraction of panels with one patch), multi_patch (fraction with more), patches_mean, patch_share (patch_sites " +
				"over the panel's L² sites: a patch's size as a share of its lattice, comparable across lattice sizes), patch_sites (median " +
				"sites per patch), panels"},
		},
		Checks: map[string]func(spec.Value) error{
			"threshold": fractionOpen,
		},
		Memory: func(_ *panelLocalityParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"panels": tableBytes, "summary": tableBytes}, Peak: 4 * pipeline.One(in, "panels")}
		},
		Time: quick[panelLocalityParams],
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
				"patch_share":      {Value: median(sizes) / float64(L*L), Note: "patch_sites over the panel's sites"},
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
