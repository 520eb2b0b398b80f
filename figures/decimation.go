package figures

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// decimationKind draws the block-spin step itself on real data: a window of a
// fine configuration with its 2×2 blocks outlined, an arrow, and the same
// window of the coarse lattice, each coarse site labelled with its value.
type decimationKind struct{}

func (decimationKind) Name() string { return "decimation" }
func (decimationKind) Doc() string {
	return "The 2×2 block-spin step drawn on data: a size×size window of a fine lattice (input 1) with its 2×2 blocks " +
		"outlined, an arrow, and the matching window of the coarse lattice (input 2, e.g. rg.block of input 1), each coarse " +
		"site labelled with its value; one diverging colour scale on [−1, 1]."
}
func (decimationKind) Inputs() (int, int, artifact.Kind) { return 2, 2, artifact.KindArray }
func (decimationKind) Fields() []Field {
	return []Field{
		{Name: "index", Kind: spec.Int, Doc: "which configuration, counting over the leading axes (default 0)", Check: nonNegative},
		{Name: "size", Kind: spec.Int, Doc: "side of the fine window, even (default 8)", Check: positive},
	}
}

type decimation struct {
	Title  string    `json:"title"`
	Index  int       `json:"index"`
	Size   int       `json:"size"`
	fine   []float64 // Size×Size
	coarse []float64 // Size/2×Size/2
	// scale is fixed to [−1, 1] and not shared with the figure's heat maps.
	scale colorScale
}

func (decimationKind) New(raw json.RawMessage, in []Data) (Panel, error) {
	d := decimation{Size: 8}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	if d.Size%2 != 0 {
		return nil, fmt.Errorf("size %d is odd: the window must hold whole 2×2 blocks", d.Size)
	}
	n1, L1, z1, err := lattices(in[0].Array)
	if err != nil {
		return nil, err
	}
	n2, L2, z2, err := lattices(in[1].Array)
	if err != nil {
		return nil, err
	}
	if n1 != n2 || L2*2 != L1 {
		return nil, fmt.Errorf("the coarse input holds %d lattices of %d×%d, want %d of %d×%d (one 2×2 step of the fine input)", n2, L2, L2, n1, L1/2, L1/2)
	}
	if d.Index < 0 || d.Index >= n1 {
		return nil, fmt.Errorf("index %d out of range: the inputs hold %d lattices", d.Index, n1)
	}
	if d.Size > L1 {
		return nil, fmt.Errorf("size %d exceeds the lattice side %d", d.Size, L1)
	}
	for y := 0; y < d.Size; y++ {
		d.fine = append(d.fine, z1[d.Index*L1*L1+y*L1:d.Index*L1*L1+y*L1+d.Size]...)
	}
	for y := 0; y < d.Size/2; y++ {
		d.coarse = append(d.coarse, z2[d.Index*L2*L2+y*L2:d.Index*L2*L2+y*L2+d.Size/2]...)
	}
	off := false
	d.scale = newColorScale(colorFields{Palette: "diverging", Range: []float64{-1, 1}, ColorBar: &off}, nil)
	return &d, nil
}

func (d *decimation) Draw(c draw.Canvas) error {
	cm := d.scale.colorMap()
	w := c.Max.X - c.Min.X
	top := c.Max.Y
	if d.Title != "" {
		ts := textStyle(10)
		ts.XAlign = draw.XCenter
		c.FillText(ts, vg.Point{X: c.Min.X + w/2, Y: top - ts.Height(d.Title)}, d.Title)
		top -= 2 * ts.Height(d.Title)
	}
	// Two squares of the same size side by side, an arrow between, the rule
	// written underneath.
	ts := textStyle(9)
	ts.XAlign = draw.XCenter
	rule := "s' = (s1 + s2 + s3 + s4) / 4"
	below := 3.8 * ts.Height(rule)
	side := math.Min(float64(w)/2.6, float64(top-c.Min.Y-below)*0.95)
	s := vg.Length(side)
	y0 := c.Min.Y + below + (top-c.Min.Y-below-s)/2
	x0 := c.Min.X + (w-2.6*s)/2
	x1 := x0 + 1.6*s
	d.grid(c, cm, d.fine, d.Size, vg.Point{X: x0, Y: y0}, s, false)
	d.grid(c, cm, d.coarse, d.Size/2, vg.Point{X: x1, Y: y0}, s, true)
	// Block outlines on the fine lattice.
	thick := draw.LineStyle{Color: color.Black, Width: vg.Points(2)}
	cell := s / vg.Length(d.Size)
	for k := 0; k <= d.Size; k += 2 {
		off := vg.Length(k) * cell
		c.StrokeLine2(thick, x0+off, y0, x0+off, y0+s)
		c.StrokeLine2(thick, x0, y0+off, x0+s, y0+off)
	}
	// The arrow.
	ay := y0 + s/2
	ax0, ax1 := x0+s+0.12*s, x1-0.12*s
	arrow := draw.LineStyle{Color: color.Black, Width: vg.Points(1.5)}
	c.StrokeLine2(arrow, ax0, ay, ax1, ay)
	c.StrokeLines(arrow, []vg.Point{{X: ax1 - 0.08*s, Y: ay + 0.05*s}, {X: ax1, Y: ay}, {X: ax1 - 0.08*s, Y: ay - 0.05*s}})
	c.FillText(ts, vg.Point{X: x0 + s/2, Y: y0 - 1.5*ts.Height(rule)}, fmt.Sprintf("%d×%d spins", d.Size, d.Size))
	c.FillText(ts, vg.Point{X: x1 + s/2, Y: y0 - 1.5*ts.Height(rule)}, fmt.Sprintf("%d×%d block spins", d.Size/2, d.Size/2))
	c.FillText(ts, vg.Point{X: (ax0 + ax1) / 2, Y: ay - 2*ts.Height(rule)}, "average")
	c.FillText(ts, vg.Point{X: c.Min.X + w/2, Y: y0 - 3.2*ts.Height(rule)}, rule)
	return nil
}

// grid draws an n×n window of values as cells from corner p with side s; row
// 0 at the bottom, as the heat maps draw lattices. labels writes each value.
func (d *decimation) grid(c draw.Canvas, cm palette.ColorMap, z []float64, n int, p vg.Point, s vg.Length, labels bool) {
	cell := s / vg.Length(n)
	thin := draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.5)}
	ts := textStyle(9)
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YCenter
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := z[y*n+x]
			col := d.scale.at(cm, v)
			r := vg.Rectangle{Min: vg.Point{X: p.X + vg.Length(x)*cell, Y: p.Y + vg.Length(y)*cell}}
			r.Max = vg.Point{X: r.Min.X + cell, Y: r.Min.Y + cell}
			c.FillPolygon(col, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
			c.StrokeLines(thin, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
			if labels {
				ts.Color = color.Black
				if math.Abs(v) > 0.6 {
					ts.Color = color.White
				}
				c.FillText(ts, vg.Point{X: r.Min.X + cell/2, Y: r.Min.Y + cell/2}, fraction(v))
			}
		}
	}
}

// fraction writes a block average of ±1 spins: −1, −½, 0, ½, 1 (or the
// number, for other inputs).
func fraction(v float64) string {
	switch v {
	case 1, -1, 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case 0.5:
		return "½"
	case -0.5:
		return "−½"
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}
