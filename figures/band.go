package figures

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// drawColor is a series colour.
type drawColor = color.Color

// bandKind draws the mean of a column over several tables (seeds, say) as a
// line inside a shaded band of their spread, or a band between two columns
// of one table.
type bandKind struct{}

func (bandKind) Name() string { return "band" }

// drawsReplicates: a band over several inputs draws every replicate, its
// spread being theirs.
func (bandKind) drawsReplicates() bool { return true }
func (bandKind) Doc() string {
	return "Mean ± spread of y(x) across several tables (seeds) as a line in a shaded band; or, for one table, a band between columns lo and hi around y."
}
func (bandKind) Inputs() (int, int, artifact.Kind) { return 1, 0, artifact.KindTable }
func (bandKind) Fields() []Field {
	return append([]Field{
		{Name: "x", Kind: spec.String, Required: true, Doc: "the x column (the same values in every table)"},
		{Name: "y", Kind: spec.String, Required: true, Doc: "the y column"},
		{Name: "spread", Kind: spec.String, Doc: "across tables: std (default; mean ± standard deviation), sem (mean ± its standard error), minmax (mean, and the range) or quartiles (median, and the interquartile range: robust to outliers)",
			Check: oneOf("std", "sem", "minmax", "quartiles")},
		{Name: "lo", Kind: spec.String, Doc: "for one table: the column of the band's lower edge"},
		{Name: "hi", Kind: spec.String, Doc: "for one table: the column of the band's upper edge"},
		{Name: "label", Kind: spec.String, Doc: "the legend entry"},
	}, axesFields()...)
}

// columns returns the columns each input must have.
func (bandKind) columns(raw json.RawMessage, inputs int) [][]string {
	var b band
	if json.Unmarshal(raw, &b) != nil {
		return nil
	}
	out := make([][]string, inputs)
	for i := range out {
		out[i] = []string{b.X, b.Y, b.Lo, b.Hi}
	}
	return out
}

type band struct {
	axes
	X      string `json:"x"`
	Y      string `json:"y"`
	Spread string `json:"spread"`
	Lo     string `json:"lo"`
	Hi     string `json:"hi"`
	Label  string `json:"label"`
	in     []Data
}

func (bandKind) New(raw json.RawMessage, in []Data) (Panel, error) {
	b := &band{in: in}
	if err := json.Unmarshal(raw, b); err != nil {
		return nil, err
	}
	if (b.Lo == "") != (b.Hi == "") || (b.Lo != "" && len(in) != 1) {
		return nil, fmt.Errorf("lo and hi go together, with one input")
	}
	if b.Lo == "" && len(in) < 2 {
		return nil, fmt.Errorf("a band needs several inputs (its spread), or lo and hi columns")
	}
	return b, nil
}

// stats returns x, the centre line and the band's edges.
func (b *band) stats() (x, mid, lo, hi []float64, err error) {
	if x, err = b.in[0].Table.Col(b.X); err != nil {
		return
	}
	if b.Lo != "" {
		t := b.in[0].Table
		if mid, err = t.Col(b.Y); err != nil {
			return
		}
		if lo, err = t.Col(b.Lo); err != nil {
			return
		}
		hi, err = t.Col(b.Hi)
		return
	}
	ys := make([][]float64, len(b.in))
	for k, d := range b.in {
		xk, e := d.Table.Col(b.X)
		if e != nil {
			return nil, nil, nil, nil, e
		}
		if len(xk) != len(x) {
			return nil, nil, nil, nil, fmt.Errorf("input %d (%s) has %d rows, input 1 has %d", k+1, d.Source, len(xk), len(x))
		}
		for i := range x {
			if xk[i] != x[i] {
				return nil, nil, nil, nil, fmt.Errorf("input %d (%s) has x = %v where input 1 has %v", k+1, d.Source, xk[i], x[i])
			}
		}
		if ys[k], err = d.Table.Col(b.Y); err != nil {
			return
		}
	}
	n := float64(len(ys))
	mid, lo, hi = make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		sum, mn, mx := 0.0, math.Inf(1), math.Inf(-1)
		for k := range ys {
			sum += ys[k][i]
			mn, mx = math.Min(mn, ys[k][i]), math.Max(mx, ys[k][i])
		}
		m := sum / n
		ss := 0.0
		for k := range ys {
			ss += (ys[k][i] - m) * (ys[k][i] - m)
		}
		sd := math.Sqrt(ss / (n - 1))
		mid[i] = m
		switch b.Spread {
		case "minmax":
			lo[i], hi[i] = mn, mx
		case "quartiles":
			col := make([]float64, len(ys))
			for k := range ys {
				col[k] = ys[k][i]
			}
			sort.Float64s(col)
			mid[i], lo[i], hi[i] = quantile(col, 0.5), quantile(col, 0.25), quantile(col, 0.75)
		case "sem":
			lo[i], hi[i] = m-sd/math.Sqrt(n), m+sd/math.Sqrt(n)
		default:
			lo[i], hi[i] = m-sd, m+sd
		}
	}
	return x, mid, lo, hi, nil
}

func (b *band) Draw(c draw.Canvas) error {
	x, mid, lo, hi, err := b.stats()
	if err != nil {
		return err
	}
	if err := finite(x, mid, lo, hi); err != nil {
		return err
	}
	pl := newPlot(b.Title, b.XLabel, b.YLabel)
	poly := make(plotter.XYs, 0, 2*len(x))
	for i := range x {
		poly = append(poly, plotter.XY{X: x[i], Y: hi[i]})
	}
	for i := len(x) - 1; i >= 0; i-- {
		poly = append(poly, plotter.XY{X: x[i], Y: lo[i]})
	}
	shade, err := plotter.NewPolygon(poly)
	if err != nil {
		return err
	}
	base := seriesColor(0)
	shade.Color = color.NRGBA{R: base.R, G: base.G, B: base.B, A: 70}
	shade.LineStyle.Width = 0
	pl.Add(shade)
	s := series{x: x, yv: mid, label: b.Label, style: "line"}
	if _, _, err := addSeries(pl, s, base, b.Label != "", nil, nil); err != nil {
		return err
	}
	b.apply(pl, integral(x))
	pl.Draw(c)
	return nil
}

// quantile is the q-quantile of sorted values by linear interpolation.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}
