package figures

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// axes are the fields of panels with x and y axes.
type axes struct {
	Title  string    `json:"title"`
	XLabel string    `json:"xlabel"`
	YLabel string    `json:"ylabel"`
	XLim   []float64 `json:"xlim"`
	YLim   []float64 `json:"ylim"`
	LogX   bool      `json:"logx"`
	LogY   bool      `json:"logy"`
	HRef   floatList `json:"ref"`
	VRef   floatList `json:"vref"`
	Legend string    `json:"legend"`
}

func axesFields() []Field {
	return []Field{
		{Name: "xlim", Kind: spec.Floats, Doc: "[low, high] of the x axis", Check: pair},
		{Name: "ylim", Kind: spec.Floats, Doc: "[low, high] of the y axis; what lies outside is clipped", Check: pair},
		{Name: "logx", Kind: spec.Bool, Doc: "logarithmic x axis"},
		{Name: "logy", Kind: spec.Bool, Doc: "logarithmic y axis"},
		{Name: "ref", Kind: spec.Floats, Doc: "dashed horizontal reference lines at these y"},
		{Name: "vref", Kind: spec.Floats, Doc: "dashed vertical reference lines at these x"},
		{Name: "legend", Kind: spec.String, Doc: "legend corner: bottom-left (default), top-left, top-right, bottom-right, none",
			Check: oneOf("bottom-left", "top-left", "top-right", "bottom-right", "none")},
	}
}

// newPlot returns a plot with the panel's title, labels and readable ticks.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	pl := plot.New()
	pl.Title.Text = title
	pl.Title.TextStyle.Font.Size = font.Length(10)
	pl.X.Label.Text = xlabel
	pl.Y.Label.Text = ylabel
	pl.X.Tick.Marker = readableTicks{}
	pl.Y.Tick.Marker = readableTicks{}
	return pl
}

// apply sets the axes' ranges, scales and reference lines once the data is added.
func (a axes) apply(pl *plot.Plot, integerX bool) {
	if integerX {
		pl.X.Tick.Marker = readableTicks{integer: true}
	}
	for _, y := range a.HRef {
		pl.Add(refLine{at: y})
		pl.Y.Min, pl.Y.Max = math.Min(pl.Y.Min, y), math.Max(pl.Y.Max, y)
	}
	for _, x := range a.VRef {
		pl.Add(refLine{at: x, vertical: true})
		pl.X.Min, pl.X.Max = math.Min(pl.X.Min, x), math.Max(pl.X.Max, x)
	}
	if len(a.XLim) == 2 {
		pl.X.Min, pl.X.Max = a.XLim[0], a.XLim[1]
	}
	if len(a.YLim) == 2 {
		pl.Y.Min, pl.Y.Max = a.YLim[0], a.YLim[1]
	}
	if a.LogX {
		pl.X.Scale, pl.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if a.LogY {
		pl.Y.Scale, pl.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	pl.Legend.Padding = vg.Points(3)
	pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(6), vg.Points(6)
	switch a.Legend {
	case "", "bottom-left":
		pl.Legend.Left = true
	case "top-left":
		pl.Legend.Left, pl.Legend.Top = true, true
		pl.Legend.YOffs = -vg.Points(6)
	case "top-right":
		pl.Legend.Top = true
		pl.Legend.XOffs, pl.Legend.YOffs = -vg.Points(6), -vg.Points(6)
	case "bottom-right":
		pl.Legend.XOffs = -vg.Points(6)
	case "none":
		pl.Legend = plot.NewLegend()
	}
	pl.Add(plotter.NewGrid())
}

// refLine is a dashed grey reference line at a fixed x (vertical) or y.
type refLine struct {
	at       float64
	vertical bool
}

func (r refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: color.Gray{Y: 100}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	var a, b vg.Point
	if r.vertical {
		x := trX(r.at)
		a, b = vg.Point{X: x, Y: c.Min.Y}, vg.Point{X: x, Y: c.Max.Y}
	} else {
		y := trY(r.at)
		a, b = vg.Point{X: c.Min.X, Y: y}, vg.Point{X: c.Max.X, Y: y}
	}
	c.StrokeLines(sty, c.ClipLinesXY([]vg.Point{a, b})...)
}

// readableTicks mark an axis at a "nice" step (1, 2, 2.5 or 5 times a power of
// ten) giving four to eight labels, with unlabelled minor ticks between, and
// label them with the digits the step needs ("0 2.5 5", not "0.00 2.50
// 5.00"); with integer set, the step is a whole number (distances, sites).
type readableTicks struct{ integer bool }

func (t readableTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 6, 64)}}
	}
	raw := (max - min) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	nice := []float64{1, 2, 2.5, 5, 10}
	if t.integer {
		nice = []float64{1, 2, 5, 10} // 2.5 × a power of ten is no whole number below 10
	}
	for _, m := range nice {
		if m*mag >= raw*0.999 {
			step = m * mag
			break
		}
	}
	if t.integer && step < 1 {
		step = 1
	}
	decimals := 0
	for d := 0; d < 12 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-9; d++ {
		decimals = d + 1
	}
	minor := step / 2
	if t.integer && minor < 1 {
		minor = 0
	}
	var out []plot.Tick
	first := math.Ceil(min/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max+1e-9*step {
			break
		}
		if math.Abs(v) < 1e-9*step {
			v = 0 // not -0
		}
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
		if m := v - minor; minor > 0 && m >= min {
			out = append(out, plot.Tick{Value: m})
		}
	}
	if minor > 0 && len(out) > 0 {
		last := out[len(out)-1].Value
		if out[len(out)-1].Label == "" {
			last = out[len(out)-2].Value
		}
		if m := last + minor; m <= max {
			out = append(out, plot.Tick{Value: m})
		}
	}
	return out
}

// logTicks mark a logarithmic axis at 1, 2 and 5 times powers of ten (only
// the powers over many decades), with unlabelled minor ticks between; an
// axis spanning less than a factor 3 gets readable linear steps.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max/min < 3 {
		var out []plot.Tick
		for _, t := range (readableTicks{}).Ticks(min, max) {
			if t.Value > 0 {
				out = append(out, t)
			}
		}
		return out
	}
	decades := math.Log10(max / min)
	var out []plot.Tick
	for k := math.Floor(math.Log10(min)); k <= math.Ceil(math.Log10(max)); k++ {
		p := math.Pow(10, k)
		for m := 1.0; m <= 9; m++ {
			v := m * p
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := m == 1 || (decades <= 3 && (m == 2 || m == 5))
			t := plot.Tick{Value: v}
			if label {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			out = append(out, t)
		}
	}
	return out
}

// integral reports whether every value is a whole number.
func integral(xs []float64) bool {
	for _, x := range xs {
		if x != math.Trunc(x) {
			return false
		}
	}
	return len(xs) > 0
}

// maxSeries is how many series one panel draws (seriesColor's palette).
const maxSeries = 8

// seriesColor is the colour of the i-th series of a panel (i < maxSeries).
func seriesColor(i int) color.RGBA {
	return [maxSeries]color.RGBA{
		{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255},
		{R: 255, G: 127, B: 14, A: 255}, {R: 148, G: 103, B: 189, A: 255}, {R: 23, G: 190, B: 207, A: 255},
		{R: 140, G: 86, B: 75, A: 255}, {R: 227, G: 119, B: 194, A: 255},
	}[i%maxSeries]
}
