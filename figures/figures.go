// Package figures draws the figures of a report with gonum.org/v1/plot: a
// grid of panels, each of a panel kind over its input artifacts, rendered to
// SVG (fonts embedded) and PNG with the figure's provenance in their metadata.
//
// Each panel kind is one file: a Kind declares its fields (validated where the
// spec writes them) and draws itself. Figures know artifact encodings, not how
// artifacts were computed.
package figures

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// Kind is a panel kind.
type Kind interface {
	// Name is the kind's name in specs ("heatmap").
	Name() string
	// Doc describes the kind for `kadanoff ops`.
	Doc() string
	// Fields declares the panel fields the kind reads besides kind and input.
	Fields() []Field
	// Inputs gives how many inputs a panel takes (max 0: any number) and of
	// which artifact kind.
	Inputs() (min, max int, kind artifact.Kind)
	// New decodes a panel's fields (JSON of the spec's mapping) and its data.
	New(fields json.RawMessage, in []Data) (Panel, error)
}

// Panel is a panel ready to draw.
type Panel interface {
	Draw(c draw.Canvas) error
}

// colorScaled is a panel with a colour scale, which a figure may share
// between its panels.
type colorScaled interface {
	ColorRange() (lo, hi float64)
	SetColorRange(lo, hi float64)
	Diverging() bool
	SetDiverging(bool)
}

// Kinds returns every panel kind.
func Kinds() []Kind {
	return []Kind{heatmapKind{}, heatmapsKind{}, lineKind{}, bandKind{}, decimationKind{}}
}

// KindByName returns the named kind.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name() == name {
			return k, true
		}
	}
	return nil, false
}

// Layout describes a figure: its panels and their arrangement.
type Layout struct {
	Number  string    `json:"number"`
	Columns int       `json:"columns"`
	Size    []float64 `json:"size"` // panel width and height in centimetres
	// ColorScale is "panel" (each heat map its own scale) or "shared" (one
	// scale for every heat map of the figure, so brightness compares).
	ColorScale string            `json:"colorscale"`
	Panels     []json.RawMessage `json:"panels"`
	// Watermark, when set, is printed across the top of the figure.
	Watermark string `json:"-"`
}

// head is what every panel's fields hold besides its kind's own.
type head struct {
	Kind   string `json:"kind"`
	Inputs int    `json:"inputs"`
	// Replicates, when above 1, is how many inputs each reference brought
	// (the replicates of a replicated step, consecutive).
	Replicates int `json:"replicates"`
}

// replicated is a kind that draws every replicate of its inputs; the others
// draw the first replicate of each.
type replicated interface {
	drawsReplicates() bool
}

// firstReplicates returns the first of every group of r consecutive inputs.
func firstReplicates[T any](in []T, r int) []T {
	if r <= 1 {
		return in
	}
	out := make([]T, 0, len(in)/r)
	for i := 0; i < len(in); i += r {
		out = append(out, in[i])
	}
	return out
}

// Data is a decoded input of a panel: an array or a table, and the step
// output it came from.
type Data struct {
	Array  *artifact.Array
	Table  *artifact.Table
	Source string
}

// Decode decodes a panel's input blob of the given kind.
func Decode(kind artifact.Kind, b []byte) (Data, error) {
	switch kind {
	case artifact.KindArray:
		a, err := artifact.DecodeNPY(b)
		return Data{Array: a}, err
	case artifact.KindTable:
		t, err := artifact.DecodeCSV(b)
		return Data{Table: t}, err
	}
	return Data{}, fmt.Errorf("figures: cannot plot %s data", kind)
}

// Render draws the figure and returns its SVG and PNG encodings; meta, when
// not nil, is written into both files' metadata.
func Render(l *Layout, data []Data, meta *Provenance) (svg, png []byte, err error) {
	panels := make([]Panel, len(l.Panels))
	next := 0
	for i, raw := range l.Panels {
		var h head
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, nil, fmt.Errorf("panel %d: %w", i+1, err)
		}
		k, ok := KindByName(h.Kind)
		if !ok {
			return nil, nil, fmt.Errorf("panel %d: unknown kind %q", i+1, h.Kind)
		}
		if h.Inputs < 1 || next+h.Inputs > len(data) {
			return nil, nil, fmt.Errorf("panel %d: %d inputs, but only %d of %d are left", i+1, h.Inputs, len(data)-next, len(data))
		}
		in := data[next : next+h.Inputs]
		next += h.Inputs
		refs := 1 // inputs per reference: a kind that draws replicates gets them all
		if rk, ok := k.(replicated); h.Replicates > 1 && !(ok && rk.drawsReplicates()) {
			in = firstReplicates(in, h.Replicates)
		} else if h.Replicates > 1 {
			refs = h.Replicates
		}
		if err := checkInputs(k, in, refs); err != nil {
			return nil, nil, fmt.Errorf("panel %d (%s): %w", i+1, h.Kind, err)
		}
		if panels[i], err = k.New(raw, in); err != nil {
			return nil, nil, fmt.Errorf("panel %d (%s): %w", i+1, h.Kind, err)
		}
	}
	if next != len(data) {
		return nil, nil, fmt.Errorf("figures: panels take %d inputs, got %d", next, len(data))
	}
	if l.ColorScale == "shared" {
		shareColors(panels)
	}
	cols := max(l.Columns, 1)
	rows := (len(panels) + cols - 1) / cols
	pw, ph := 9.0, 7.0
	if len(l.Size) == 2 {
		pw, ph = l.Size[0], l.Size[1]
	}
	top := vg.Length(0)
	if l.Watermark != "" {
		top = 0.55 * vg.Centimeter
	}
	w, h := vg.Length(pw*float64(cols))*vg.Centimeter, vg.Length(ph*float64(rows))*vg.Centimeter+top
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter*2 + top, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	draw1 := func(c vg.CanvasWriterTo) ([]byte, error) {
		dc := draw.New(c)
		for i, p := range panels {
			if err := p.Draw(tiles.At(dc, i%cols, i/cols)); err != nil {
				return nil, fmt.Errorf("panel %d: %w", i+1, err)
			}
		}
		if l.Watermark != "" {
			sty := textStyle(9)
			sty.Color = color.RGBA{R: 190, G: 30, B: 30, A: 255}
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
			dc.FillText(sty, vg.Point{X: w / 2, Y: h - vg.Millimeter*1.5}, l.Watermark)
		}
		var b bytes.Buffer
		_, err := c.WriteTo(&b)
		return b.Bytes(), err
	}
	svg, err = draw1(vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true)))
	if err != nil {
		return nil, nil, fmt.Errorf("figures: svg: %w", err)
	}
	png, err = draw1(vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))})
	if err != nil {
		return nil, nil, fmt.Errorf("figures: png: %w", err)
	}
	if meta != nil {
		svg, png = meta.svg(svg), meta.png(png)
	}
	return svg, png, nil
}

// checkInputs checks a panel's inputs against its kind: their number (of
// references, each bringing reps replicates) and their kind.
func checkInputs(k Kind, in []Data, reps int) error {
	lo, hi, kind := k.Inputs()
	n := len(in) / max(reps, 1)
	if n < lo || (hi > 0 && n > hi) {
		if hi == lo {
			return fmt.Errorf("takes %d input(s), got %d", lo, n)
		}
		return fmt.Errorf("takes %d to %d inputs, got %d", lo, hi, n)
	}
	for i, d := range in {
		if kind == artifact.KindArray && d.Array == nil || kind == artifact.KindTable && d.Table == nil {
			return fmt.Errorf("input %d (%s) is not %s data", i+1, d.Source, kind)
		}
	}
	return nil
}

// shareColors gives every colour-scaled panel the union of their ranges, and
// one palette: diverging when any panel's is.
func shareColors(panels []Panel) {
	diverging := false
	for _, p := range panels {
		if s, ok := p.(colorScaled); ok && s.Diverging() {
			diverging = true
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		if s, ok := p.(colorScaled); ok {
			s.SetDiverging(diverging)
		}
	}
	for _, p := range panels {
		if s, ok := p.(colorScaled); ok {
			a, b := s.ColorRange()
			lo, hi = math.Min(lo, a), math.Max(hi, b)
		}
	}
	for _, p := range panels {
		if s, ok := p.(colorScaled); ok {
			s.SetColorRange(lo, hi)
		}
	}
}

func textStyle(size float64) draw.TextStyle {
	return draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, font.Length(size)), Handler: plot.DefaultTextHandler}
}

func finite(xs ...[]float64) error {
	for _, x := range xs {
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("data has a non-finite value (%v)", v)
			}
		}
	}
	return nil
}
