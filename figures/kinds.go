package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// grid adapts one L×L panel (row-major, site (x, y) at y*L+x) to plotter.GridXYZ.
type grid struct {
	L int
	z []float64
}

func (g grid) Dims() (c, r int)        { return g.L, g.L }
func (g grid) Z(c, r int) float64      { return g.z[r*g.L+c] }
func (g grid) X(c int) float64         { return float64(c) }
func (g grid) Y(r int) float64         { return float64(r) }
func (g grid) Min() (float64, float64) { return 0, 0 }

// heatmap draws panel Index of an array shaped [L][L] or [n][L][L] with a
// diverging blue–red palette centred on zero.
func heatmap(p Panel, a *artifact.Array) (*plot.Plot, error) {
	var n, L int
	switch {
	case len(a.Shape) == 2 && a.Shape[0] == a.Shape[1]:
		n, L = 1, a.Shape[0]
	case len(a.Shape) == 3 && a.Shape[1] == a.Shape[2]:
		n, L = a.Shape[0], a.Shape[1]
	default:
		return nil, fmt.Errorf("want an array shaped [L][L] or [n][L][L], got %v", a.Shape)
	}
	if p.Index < 0 || p.Index >= n {
		return nil, fmt.Errorf("index %d out of range: the array holds %d panels", p.Index, n)
	}
	z := a.Float64s()[p.Index*L*L : (p.Index+1)*L*L]
	if err := finite(z); err != nil {
		return nil, err
	}
	lim := 0.0
	for _, v := range z {
		lim = math.Max(lim, math.Abs(v))
	}
	if lim == 0 {
		lim = 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-lim)
	cm.SetMax(lim)
	hm := plotter.NewHeatMap(grid{L: L, z: z}, cm.Palette(255))
	hm.Min, hm.Max = -lim, lim
	hm.Rasterized = true
	pl := newPlot(p)
	pl.Add(hm)
	pl.X.Min, pl.X.Max = -0.5, float64(L)-0.5
	pl.Y.Min, pl.Y.Max = -0.5, float64(L)-0.5
	return pl, nil
}

// seriesColors are the colours of successive series of a line panel.
var seriesColors = [...]color.RGBA{
	{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255},
	{R: 255, G: 127, B: 14, A: 255}, {R: 148, G: 103, B: 189, A: 255}, {R: 23, G: 190, B: 207, A: 255},
}

// line draws each column of Y against column X, with error bars from column
// Err when given, a legend when there are several series, and a dashed
// horizontal line at Ref when given.
func line(p Panel, t *artifact.Table) (*plot.Plot, error) {
	x, err := t.Col(p.X)
	if err != nil {
		return nil, err
	}
	if len(p.Y) == 0 {
		return nil, fmt.Errorf("a line panel needs a y column")
	}
	if len(p.Y) > len(seriesColors) {
		return nil, fmt.Errorf("%d series in one panel, at most %d", len(p.Y), len(seriesColors))
	}
	pl := newPlot(p)
	for k, col := range p.Y {
		y, err := t.Col(col)
		if err != nil {
			return nil, err
		}
		if err := finite(x, y); err != nil {
			return nil, err
		}
		pts := make(plotter.XYs, len(x))
		for i := range x {
			pts[i].X, pts[i].Y = x[i], y[i]
		}
		ln, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		c := seriesColors[k]
		ln.Color, sc.Color = c, c
		sc.Radius = vg.Points(1.8)
		if len(x) > 200 { // a long curve: the points would hide the line
			sc.Radius = 0
		}
		pl.Add(ln, sc)
		if len(p.Y) > 1 {
			label := col
			if k < len(p.Labels) {
				label = p.Labels[k]
			}
			pl.Legend.Add(label, ln)
		}
		if p.Err != "" {
			e, err := t.Col(p.Err)
			if err != nil {
				return nil, err
			}
			errs := make(plotter.YErrors, len(e))
			for i, v := range e {
				errs[i].Low, errs[i].High = v, v
			}
			bars, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{pts, errs})
			if err != nil {
				return nil, err
			}
			bars.Color = c
			pl.Add(bars)
		}
	}
	// Bottom left: curves that fall (losses, correlators) leave it empty.
	pl.Legend.Left = true
	pl.Legend.Padding = vg.Points(3)
	pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(6), vg.Points(6)
	if p.Ref != nil {
		ref := *p.Ref
		f := plotter.NewFunction(func(float64) float64 { return ref })
		f.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		f.Color = color.Gray{Y: 100}
		pl.Add(f)
		pl.Y.Min, pl.Y.Max = math.Min(pl.Y.Min, ref), math.Max(pl.Y.Max, ref)
	}
	if len(p.YLim) == 2 {
		pl.Y.Min, pl.Y.Max = p.YLim[0], p.YLim[1]
	}
	pl.Add(plotter.NewGrid())
	return pl, nil
}
