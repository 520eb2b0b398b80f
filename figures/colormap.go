package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// colorFields are the fields of panels that map values to colours.
type colorFields struct {
	Palette  string    `json:"palette"`
	Range    []float64 `json:"range"`
	ColorBar *bool     `json:"colorbar"`
	CLabel   string    `json:"clabel"`
}

func colorFieldDecls() []Field {
	return []Field{
		{Name: "palette", Kind: spec.String, Doc: "auto (default: diverging blue–red centred on zero when the data change sign, else sequential), diverging, sequential",
			Check: oneOf("auto", "diverging", "sequential")},
		{Name: "range", Kind: spec.Floats, Doc: "[low, high] of the colour scale (default: the data's; symmetric about zero when diverging)", Check: pair},
		{Name: "colorbar", Kind: spec.Bool, Doc: "draw a colour bar (default true)"},
		{Name: "clabel", Kind: spec.String, Doc: "the colour bar's label"},
	}
}

// colorScale maps values to colours.
type colorScale struct {
	colorFields
	lo, hi    float64
	diverging bool
}

func newColorScale(f colorFields, z []float64) colorScale {
	s := colorScale{colorFields: f}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range z {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	switch f.Palette {
	case "diverging":
		s.diverging = true
	case "sequential":
	default:
		s.diverging = lo < 0 && hi > 0
	}
	s.SetColorRange(lo, hi)
	if len(f.Range) == 2 {
		s.lo, s.hi = f.Range[0], f.Range[1]
	}
	return s
}

func (s *colorScale) ColorRange() (lo, hi float64) { return s.lo, s.hi }

// Diverging reports whether the scale is diverging (centred on zero).
func (s *colorScale) Diverging() bool { return s.diverging }

// SetDiverging makes the palette diverging or sequential, unless the spec
// chose one.
func (s *colorScale) SetDiverging(d bool) {
	if s.Palette == "" || s.Palette == "auto" {
		s.diverging = d
	}
}

func (s *colorScale) SetColorRange(lo, hi float64) {
	if len(s.Range) == 2 {
		return // fixed by the spec
	}
	if s.diverging {
		lim := math.Max(math.Abs(lo), math.Abs(hi))
		lo, hi = -lim, lim
	}
	if !(hi > lo) { // constant data
		lo, hi = lo-1, lo+1
	}
	s.lo, s.hi = lo, hi
}

func (s *colorScale) colorMap() palette.ColorMap {
	var cm palette.ColorMap
	if s.diverging {
		cm = moreland.SmoothBlueRed()
	} else {
		cm = moreland.ExtendedBlackBody()
	}
	cm.SetMin(s.lo)
	cm.SetMax(s.hi)
	return cm
}

// at returns the colour of v, clamped to the scale.
func (s *colorScale) at(cm palette.ColorMap, v float64) color.Color {
	v = math.Min(math.Max(v, s.lo), s.hi)
	c, err := cm.At(v)
	if err != nil {
		return color.Black
	}
	return c
}

func (s *colorScale) bar() bool { return s.ColorBar == nil || *s.ColorBar }

// cellImage is an L×L lattice as an image with k×k pixels per site, nearest
// neighbour, site (x, y) (y up) at z[y*L+x]: scaling it never blends sites.
func (s *colorScale) cellImage(z []float64, L int) image.Image {
	k := max(1, (640+L-1)/L)
	cm := s.colorMap()
	img := image.NewNRGBA(image.Rect(0, 0, L*k, L*k))
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			c := color.NRGBAModel.Convert(s.at(cm, z[y*L+x])).(color.NRGBA)
			row := (L - 1 - y) * k
			for dy := 0; dy < k; dy++ {
				off := img.PixOffset(x*k, row+dy)
				for dx := 0; dx < k; dx++ {
					copy(img.Pix[off+4*dx:off+4*dx+4], []uint8{c.R, c.G, c.B, c.A})
				}
			}
		}
	}
	return img
}

// drawBar draws a vertical colour bar in the rectangle with its ticks and
// label to the right.
func (s *colorScale) drawBar(c draw.Canvas, r vg.Rectangle) {
	// Vector strips, not an image: an SVG <image> keeps its aspect ratio, so
	// a one-pixel-wide gradient would shrink to a hairline in the browser.
	cm := s.colorMap()
	const n = 128
	h := (r.Max.Y - r.Min.Y) / n
	for i := 0; i < n; i++ {
		v := s.lo + (s.hi-s.lo)*(float64(i)+0.5)/n
		y0 := r.Min.Y + vg.Length(i)*h
		c.FillPolygon(s.at(cm, v), []vg.Point{{X: r.Min.X, Y: y0}, {X: r.Max.X, Y: y0}, {X: r.Max.X, Y: y0 + h*1.02}, {X: r.Min.X, Y: y0 + h*1.02}})
	}
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(line, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
	sty := textStyle(8)
	sty.YAlign = draw.YCenter
	for _, t := range (readableTicks{}).Ticks(s.lo, s.hi) {
		if t.Label == "" || t.Value < s.lo || t.Value > s.hi {
			continue
		}
		y := r.Min.Y + (r.Max.Y-r.Min.Y)*vg.Length((t.Value-s.lo)/(s.hi-s.lo))
		c.StrokeLine2(line, r.Max.X, y, r.Max.X+vg.Points(2), y)
		c.FillText(sty, vg.Point{X: r.Max.X + vg.Points(3), Y: y}, t.Label)
	}
	if s.CLabel != "" {
		sty := textStyle(8)
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: r.Max.X + vg.Points(24), Y: (r.Min.Y + r.Max.Y) / 2}, s.CLabel)
	}
}

// barWidth is the room a colour bar takes beside its panel.
func (s *colorScale) barWidth() vg.Length {
	if !s.bar() {
		return 0
	}
	w := 1.25 * vg.Centimeter
	if s.CLabel != "" {
		w += 0.4 * vg.Centimeter
	}
	return w
}

// lattices returns the L×L lattices of an array shaped [..][L][L], flattened
// over its leading axes.
func lattices(a *artifact.Array) (n, L int, z []float64, err error) {
	d := len(a.Shape)
	if d < 2 || a.Shape[d-1] != a.Shape[d-2] {
		return 0, 0, nil, fmt.Errorf("want an array of L×L lattices shaped [..][L][L], got %v", a.Shape)
	}
	L = a.Shape[d-1]
	n = 1
	for _, s := range a.Shape[:d-2] {
		n *= s
	}
	z = a.Float64s()
	return n, L, z, finite(z)
}
