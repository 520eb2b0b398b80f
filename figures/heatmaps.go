package figures

import (
	"encoding/json"
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// heatmapsKind draws a grid of L×L lattices from one array (the panels of
// many hidden units, say) on one colour scale, so brightness compares.
type heatmapsKind struct{}

func (heatmapsKind) Name() string { return "heatmaps" }
func (heatmapsKind) Doc() string {
	return "A grid of L×L lattices from one array shaped [..][L][L], exact cells, one shared colour scale and bar."
}
func (heatmapsKind) Inputs() (int, int, artifact.Kind) { return 1, 1, artifact.KindArray }
func (heatmapsKind) Fields() []Field {
	return append([]Field{
		{Name: "indices", Kind: spec.Ints, Doc: "which lattices, counting over the leading axes (default all, at most 64)"},
		{Name: "columns", Kind: spec.Int, Doc: "lattices per row (default: a near-square grid)", Check: positive},
		{Name: "labels", Kind: spec.Strings, Doc: "a label over each lattice (default its index)"},
	}, colorFieldDecls()...)
}

type heatmaps struct {
	Title   string   `json:"title"`
	Indices []int    `json:"indices"`
	Columns int      `json:"columns"`
	Labels  []string `json:"labels"`
	colorScale
	L int
	z [][]float64
}

// maxGrid bounds the lattices one grid panel draws.
const maxGrid = 64

func (heatmapsKind) New(raw json.RawMessage, in []Data) (Panel, error) {
	var h heatmaps
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
	if h.Indices == nil {
		for i := 0; i < min(n, maxGrid); i++ {
			h.Indices = append(h.Indices, i)
		}
	}
	if len(h.Indices) > maxGrid {
		return nil, fmt.Errorf("%d lattices in one grid, at most %d", len(h.Indices), maxGrid)
	}
	if h.Labels != nil && len(h.Labels) != len(h.Indices) {
		return nil, fmt.Errorf("%d labels for %d lattices", len(h.Labels), len(h.Indices))
	}
	var all []float64
	for _, i := range h.Indices {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("index %d out of range: the array holds %d lattices", i, n)
		}
		h.z = append(h.z, z[i*L*L:(i+1)*L*L])
		all = append(all, z[i*L*L:(i+1)*L*L]...)
	}
	h.L = L
	h.colorScale = newColorScale(cf, all)
	return &h, nil
}

func (h *heatmaps) Draw(c draw.Canvas) error {
	n := len(h.z)
	if n == 0 {
		return nil
	}
	cols := h.Columns
	if cols == 0 {
		for cols*cols < n {
			cols++
		}
	}
	rows := (n + cols - 1) / cols
	if h.Title != "" {
		sty := textStyle(10)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y}, h.Title)
		c = draw.Crop(c, 0, 0, 0, -0.6*vg.Centimeter)
	}
	label := textStyle(7)
	label.XAlign, label.YAlign = draw.XCenter, draw.YBottom
	lh := label.Height("0") * 1.3
	gap := 0.12 * vg.Centimeter
	w := c.Max.X - c.Min.X - h.barWidth() - 0.2*vg.Centimeter
	ht := c.Max.Y - c.Min.Y
	side := min((w-gap*vg.Length(cols-1))/vg.Length(cols), (ht-(gap+lh)*vg.Length(rows))/vg.Length(rows))
	if side <= 0 {
		return fmt.Errorf("%d×%d lattices do not fit the panel: enlarge panel_size", rows, cols)
	}
	gridW := side*vg.Length(cols) + gap*vg.Length(cols-1)
	gridH := (side+lh)*vg.Length(rows) + gap*vg.Length(rows-1)
	x0 := c.Min.X + (w-gridW)/2
	y0 := c.Max.Y - (ht-gridH)/2
	frame := draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(0.4)}
	for i, z := range h.z {
		r, col := i/cols, i%cols
		x := x0 + vg.Length(col)*(side+gap)
		top := y0 - vg.Length(r)*(side+lh+gap)
		name := strconv.Itoa(h.Indices[i])
		if h.Labels != nil {
			name = h.Labels[i]
		}
		c.FillText(label, vg.Point{X: x + side/2, Y: top - lh + vg.Points(1)}, name)
		rect := vg.Rectangle{Min: vg.Point{X: x, Y: top - lh - side}, Max: vg.Point{X: x + side, Y: top - lh}}
		c.DrawImage(rect, h.cellImage(z, h.L))
		c.StrokeLines(frame, []vg.Point{rect.Min, {X: rect.Max.X, Y: rect.Min.Y}, rect.Max, {X: rect.Min.X, Y: rect.Max.Y}, rect.Min})
	}
	if h.bar() {
		bx := x0 + gridW + 0.25*vg.Centimeter
		h.drawBar(c, vg.Rectangle{Min: vg.Point{X: bx, Y: y0 - gridH}, Max: vg.Point{X: bx + 0.3*vg.Centimeter, Y: y0 - lh}})
	}
	return nil
}
