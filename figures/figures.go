// Package figures draws the figures of a report with gonum.org/v1/plot: a
// grid of panels, each a plot kind (heat map of a correlator panel, line of a
// table's columns) over one input artifact, rendered to SVG (fonts embedded,
// heat maps rasterized inside) and PNG.
//
// Figures know artifact encodings, not how artifacts were computed.
package figures

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// Layout describes a figure: its panels and their arrangement.
type Layout struct {
	Number  string    `json:"number"`
	Columns int       `json:"columns"`
	Size    []float64 `json:"size"` // panel width and height in centimetres
	Panels  []Panel   `json:"panels"`
}

// Panel is one plot of a figure.
type Panel struct {
	Kind   string    `json:"kind"`
	Title  string    `json:"title"`
	XLabel string    `json:"xlabel"`
	YLabel string    `json:"ylabel"`
	X      string    `json:"x"`
	Y      Columns   `json:"y"`
	Labels []string  `json:"labels"`
	Err    string    `json:"err"`
	Index  int       `json:"index"`
	Ref    *float64  `json:"ref"`
	YLim   []float64 `json:"ylim"`
}

// Columns names one table column or several: it decodes from a JSON string
// or a list of strings.
type Columns []string

// UnmarshalJSON accepts "col" and ["col1", "col2", ...].
func (c *Columns) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = Columns{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("figures: y must be a column name or a list of them: %w", err)
	}
	*c = many
	return nil
}

// Data is the decoded input of a panel: an array or a table.
type Data struct {
	Array *artifact.Array
	Table *artifact.Table
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

// Render draws the figure and returns its SVG and PNG encodings.
func Render(l *Layout, data []Data) (svg, png []byte, err error) {
	if len(data) != len(l.Panels) {
		return nil, nil, fmt.Errorf("figures: %d panels but %d inputs", len(l.Panels), len(data))
	}
	cols := max(l.Columns, 1)
	rows := (len(l.Panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	for i, p := range l.Panels {
		pl, err := panelPlot(p, data[i])
		if err != nil {
			return nil, nil, fmt.Errorf("panel %d (%s): %w", i+1, p.Kind, err)
		}
		grid[i/cols][i%cols] = pl
	}
	pw, ph := 9.0, 7.0
	if len(l.Size) == 2 {
		pw, ph = l.Size[0], l.Size[1]
	}
	w, h := vg.Length(pw*float64(cols))*vg.Centimeter, vg.Length(ph*float64(rows))*vg.Centimeter
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	draw1 := func(c vg.CanvasWriterTo) ([]byte, error) {
		dc := draw.New(c)
		canvases := plot.Align(grid, tiles, dc)
		for r := range grid {
			for c := range grid[r] {
				if grid[r][c] != nil {
					grid[r][c].Draw(canvases[r][c])
				}
			}
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
	return svg, png, nil
}

func newPlot(p Panel) *plot.Plot {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font.Size = font.Length(10)
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	return pl
}

func panelPlot(p Panel, d Data) (*plot.Plot, error) {
	switch p.Kind {
	case "heatmap":
		if d.Array == nil {
			return nil, fmt.Errorf("a heatmap needs array data")
		}
		return heatmap(p, d.Array)
	case "line":
		if d.Table == nil {
			return nil, fmt.Errorf("a line plot needs table data")
		}
		return line(p, d.Table)
	}
	return nil, fmt.Errorf("unknown panel kind %q", p.Kind)
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
