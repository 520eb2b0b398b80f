package figures

import (
	"encoding/json"
	"fmt"
	"image"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// heatmapKind draws one L×L lattice (a correlator panel, a configuration) with
// one square cell per site and a colour bar.
type heatmapKind struct{}

func (heatmapKind) Name() string { return "heatmap" }
func (heatmapKind) Doc() string {
	return "One L×L lattice of an array shaped [..][L][L]: one square cell per site, nearest neighbour, with a colour bar."
}
func (heatmapKind) Inputs() (int, int, artifact.Kind) { return 1, 1, artifact.KindArray }
func (heatmapKind) Fields() []Field {
	return append([]Field{
		{Name: "index", Kind: spec.Int, Doc: "which lattice, counting over the leading axes (default 0)", Check: nonNegative},
	}, colorFieldDecls()...)
}

func nonNegative(v spec.Value) error {
	if v.Int < 0 {
		return fmt.Errorf("must not be negative, got %d", v.Int)
	}
	return nil
}

type heatmap struct {
	Title  string `json:"title"`
	XLabel string `json:"xlabel"`
	YLabel string `json:"ylabel"`
	Index  int    `json:"index"`
	colorScale
	L int
	z []float64
}

func (heatmapKind) New(raw json.RawMessage, in []Data) (Panel, error) {
	var h heatmap
	var cf colorFields
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &cf); err != nil {
		return nil, err
	}
	n, L, z, err := lattices(in[0].Array)
	if err != nil {
		return nil, err
	}
	if h.Index < 0 || h.Index >= n {
		return nil, fmt.Errorf("index %d out of range: the array holds %d lattices", h.Index, n)
	}
	h.L, h.z = L, z[h.Index*L*L:(h.Index+1)*L*L]
	h.colorScale = newColorScale(cf, h.z)
	return &h, nil
}

func (h *heatmap) Draw(c draw.Canvas) error {
	area := draw.Crop(c, 0, -h.barWidth(), 0, 0)
	pl := newPlot(h.Title, h.XLabel, h.YLabel)
	pl.Add(&cells{img: h.cellImage(h.z, h.L), L: h.L})
	pl.X.Tick.Marker = readableTicks{integer: true}
	pl.Y.Tick.Marker = readableTicks{integer: true}
	pl.X.Padding, pl.Y.Padding = 0, 0
	area = square(pl, area)
	pl.Draw(area)
	if h.bar() {
		dc := pl.DataCanvas(area)
		x := dc.Max.X + 0.2*vg.Centimeter
		h.drawBar(c, vg.Rectangle{Min: vg.Point{X: x, Y: dc.Min.Y}, Max: vg.Point{X: x + 0.3*vg.Centimeter, Y: dc.Max.Y}})
	}
	return nil
}

// square shrinks the canvas, keeping it centred, until the plot's data area
// is square, so that lattice cells are square.
func square(pl *plot.Plot, c draw.Canvas) draw.Canvas {
	for range 2 { // tick labels may change with the size: settle twice
		dc := pl.DataCanvas(c)
		w, h := dc.Max.X-dc.Min.X, dc.Max.Y-dc.Min.Y
		if w > h {
			c = draw.Crop(c, (w-h)/2, -(w-h)/2, 0, 0)
		} else if h > w {
			c = draw.Crop(c, 0, 0, (h-w)/2, -(h-w)/2)
		}
	}
	return c
}

// cells draws a lattice image over the data range [-0.5, L-0.5]², sites centred on integers.
type cells struct {
	img image.Image
	L   int
}

func (g *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	lo, hi := -0.5, float64(g.L)-0.5
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: trX(lo), Y: trY(lo)}, Max: vg.Point{X: trX(hi), Y: trY(hi)}}, g.img)
}

func (g *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	lo, hi := -0.5, float64(g.L)-0.5
	return lo, hi, lo, hi
}
