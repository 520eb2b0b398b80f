package figures

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// lineKind draws columns of tables against a column: several y columns of one
// table, or one column of several tables (the members of a group), as
// series with a legend, with optional error bars, points or lines.
type lineKind struct{}

func (lineKind) Name() string { return "line" }
func (lineKind) Doc() string {
	return "Series y(x) from tables: several y columns of one table, one y of several tables, or y[i] of table i; error bars, reference lines, log axes."
}
func (lineKind) Inputs() (int, int, artifact.Kind) { return 1, maxSeries, artifact.KindTable }
func (lineKind) Fields() []Field {
	return append([]Field{
		{Name: "x", Kind: spec.String, Required: true, Doc: "the x column"},
		{Name: "y", Kind: spec.Strings, Required: true, Doc: "the y column, or a list of them"},
		{Name: "err", Kind: spec.Strings, Doc: "the column of y's error bars, or one per series"},
		{Name: "labels", Kind: spec.Strings, Doc: "the legend entry of each series (default the column names, or the group members)"},
		{Name: "style", Kind: spec.Strings, Doc: "linepoints (default), line or points; one for all series or one per series",
			Check: eachOneOf("linepoints", "line", "points")},
		{Name: "by", Kind: spec.String, Doc: "a column whose distinct values split one table's rows into series (a long table: step, T, Δ), labelled by the value"},
		{Name: "note", Kind: spec.String, Doc: "text printed in the panel's top-right corner; {col} or {col:.3f} is the value of column col in the first row of the last input (a number from the data, never typed)"},
	}, axesFields()...)
}

func eachOneOf(choices ...string) func(spec.Value) error {
	one := oneOf(choices...)
	return func(v spec.Value) error {
		for _, s := range v.Strings {
			if err := one(spec.Value{Kind: spec.String, Str: s}); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkNode checks that the lists of a line panel agree with its series.
func (lineKind) checkNode(n *yaml.Node) error {
	ins, ys := 1, count(fieldNode(n, "y"))
	if v := fieldNode(n, "inputs"); v != nil {
		fmt.Sscan(v.Value, &ins)
	}
	if v := fieldNode(n, "replicates"); v != nil {
		reps := 1
		fmt.Sscan(v.Value, &reps)
		ins /= max(reps, 1)
	}
	if fieldNode(n, "by") != nil {
		if ins != 1 || ys != 1 {
			return fmt.Errorf("by splits one table with one y column, got %d inputs and %d y", ins, ys)
		}
		return nil
	}
	series, err := seriesCount(ins, ys)
	if err != nil {
		return err
	}
	for _, f := range []string{"labels", "err", "style"} {
		k := count(fieldNode(n, f))
		if k > 0 && k != series && !(k == 1 && f != "labels") {
			return fmt.Errorf("%d %s for %d series", k, f, series)
		}
	}
	return nil
}

func seriesCount(ins, ys int) (int, error) {
	switch {
	case ins == 1:
		return ys, nil
	case ys == 1 || ys == ins:
		return ins, nil
	}
	return 0, fmt.Errorf("%d y columns for %d inputs: give one y, or one per input", ys, ins)
}

// columns returns the columns each input must have.
func (lineKind) columns(raw json.RawMessage, inputs int) [][]string {
	var l line
	if json.Unmarshal(raw, &l) != nil {
		return nil
	}
	out := make([][]string, inputs)
	for i := range out {
		out[i] = []string{l.X, l.By}
		switch {
		case inputs == 1:
			out[i] = append(out[i], l.Y...)
			out[i] = append(out[i], l.Err...)
		case len(l.Y) == inputs:
			out[i] = append(out[i], l.Y[i], pick(l.Err, i))
		default:
			out[i] = append(out[i], pick(l.Y, 0), pick(l.Err, i))
		}
	}
	return out
}

type line struct {
	axes
	X      string  `json:"x"`
	Y      strList `json:"y"`
	Err    strList `json:"err"`
	Labels strList `json:"labels"`
	Style  strList `json:"style"`
	Note   string  `json:"note"`
	By     string  `json:"by"`
	// Replicates, when above 1, is how many consecutive inputs each
	// reference brought: the panel draws every replicate faintly and, where
	// they share their x values, their median as the series.
	Replicates int `json:"replicates"`
	in         []Data
}

func (lineKind) drawsReplicates() bool { return true }

func (lineKind) New(raw json.RawMessage, in []Data) (Panel, error) {
	l := &line{in: in}
	if err := json.Unmarshal(raw, l); err != nil {
		return nil, err
	}
	return l, nil
}

// series is one curve of a panel.
type series struct {
	table       *artifact.Table
	y, err      string
	label       string
	style       string
	source      string
	x, yv, errv []float64
}

// pick returns the i-th entry of a list that holds one entry for all or one per series.
func pick(list []string, i int) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return list[i]
}

func (l *line) series() ([]series, error) {
	if l.By != "" {
		return l.seriesBy()
	}
	n, err := seriesCount(len(l.in), len(l.Y))
	if err != nil {
		return nil, err
	}
	out := make([]series, n)
	for i := range out {
		s := &out[i]
		d := l.in[min(i, len(l.in)-1)]
		s.table, s.source = d.Table, d.Source
		s.y = l.Y[min(i, len(l.Y)-1)]
		s.err, s.style = pick(l.Err, i), pick(l.Style, i)
		switch {
		case len(l.Labels) > i:
			s.label = l.Labels[i]
		case len(l.in) > 1:
			s.label = memberLabel(d.Source)
		default:
			s.label = s.y
		}
		if s.x, err = s.table.Col(l.X); err != nil {
			return nil, err
		}
		if s.yv, err = s.table.Col(s.y); err != nil {
			return nil, err
		}
		if s.err != "" {
			if s.errv, err = s.table.Col(s.err); err != nil {
				return nil, err
			}
		}
		// Copies: dropNonFinite compacts them, and columns are shared.
		s.x, s.yv = append([]float64(nil), s.x...), append([]float64(nil), s.yv...)
		if s.errv != nil {
			s.errv = append([]float64(nil), s.errv...)
		}
		s.dropNonFinite()
		if len(s.x) == 0 {
			return nil, fmt.Errorf("%s: no finite point to draw", s.y)
		}
	}
	return out, nil
}

// seriesBy splits the one table's rows into a series per distinct value of
// the by column, in the order the values first appear.
func (l *line) seriesBy() ([]series, error) {
	if len(l.in) != 1 || len(l.Y) != 1 {
		return nil, fmt.Errorf("by splits one table with one y column, got %d inputs and %d y", len(l.in), len(l.Y))
	}
	t := l.in[0].Table
	key, err := t.Col(l.By)
	if err != nil {
		return nil, err
	}
	cols := map[string][]float64{}
	for _, name := range []string{l.X, l.Y[0], pick(l.Err, 0)} {
		if name == "" {
			continue
		}
		if cols[name], err = t.Col(name); err != nil {
			return nil, err
		}
	}
	var order []float64
	rows := map[float64][]int{}
	for i, k := range key {
		if _, seen := rows[k]; !seen {
			order = append(order, k)
		}
		rows[k] = append(rows[k], i)
	}
	if len(order) > maxSeries {
		return nil, fmt.Errorf("by %s gives %d series, at most %d", l.By, len(order), maxSeries)
	}
	var out []series
	for i, k := range order {
		s := series{y: l.Y[0], style: pick(l.Style, i), label: fmt.Sprintf("%s = %s", l.By, strconv.FormatFloat(k, 'g', 4, 64))}
		if i < len(l.Labels) {
			s.label = l.Labels[i]
		}
		for _, r := range rows[k] {
			s.x = append(s.x, cols[l.X][r])
			s.yv = append(s.yv, cols[l.Y[0]][r])
			if e := pick(l.Err, 0); e != "" {
				s.errv = append(s.errv, cols[e][r])
			}
		}
		s.dropNonFinite()
		out = append(out, s)
	}
	return out, nil
}

// dropNonFinite removes the points whose x or y is NaN or infinite (a fit
// that did not converge, say: a gap in the curve), and draws no error bar
// where the error is not finite.
func (s *series) dropNonFinite() {
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	k := 0
	for i := range s.x {
		if !ok(s.x[i]) || !ok(s.yv[i]) {
			continue
		}
		s.x[k], s.yv[k] = s.x[i], s.yv[i]
		if s.errv != nil {
			s.errv[k] = s.errv[i]
			if !ok(s.errv[k]) {
				s.errv[k] = 0
			}
		}
		k++
	}
	s.x, s.yv = s.x[:k], s.yv[:k]
	if s.errv != nil {
		s.errv = s.errv[:k]
	}
}

// memberLabel is the axis values of a group member's step ("block=4" of
// "checker[block=4].g"), or the step's name.
func memberLabel(source string) string {
	if i, j := strings.Index(source, "["), strings.Index(source, "]"); i >= 0 && j > i {
		var axes []string
		for _, a := range strings.Split(source[i+1:j], ",") {
			if !strings.HasPrefix(a, "rep=") { // replicates share their series
				axes = append(axes, a)
			}
		}
		if len(axes) > 0 {
			return strings.Join(axes, ", ")
		}
	}
	step, _, _ := strings.Cut(source, ".")
	return step
}

func (l *line) Draw(c draw.Canvas) error {
	reps := max(l.Replicates, 1)
	sets := make([][]series, reps)
	for r := range sets {
		one := *l
		one.in = nil
		for i := r; i < len(l.in); i += reps {
			one.in = append(one.in, l.in[i])
		}
		var err error
		if sets[r], err = one.series(); err != nil {
			return err
		}
	}
	ss := sets[0]
	if reps > 1 {
		ss = medianSeries(sets)
	}
	pl := newPlot(l.Title, l.XLabel, l.YLabel)
	allX := []float64{}
	for r := 0; r < reps && reps > 1; r++ {
		for i, s := range sets[r] {
			allX = append(allX, s.x...)
			if err := addFaint(pl, s, seriesColor(i)); err != nil {
				return err
			}
		}
	}
	for i, s := range ss {
		allX = append(allX, s.x...)
		if err := addSeries(pl, s, seriesColor(i), len(ss) > 1 || l.Labels != nil || l.By != ""); err != nil {
			return err
		}
	}
	l.apply(pl, integral(allX))
	pl.Draw(c)
	if l.Note != "" {
		text, err := fillNote(l.Note, l.in[len(l.in)-1].Table)
		if err != nil {
			return err
		}
		dc := pl.DataCanvas(c)
		sty := textStyle(9)
		sty.XAlign, sty.YAlign = draw.XRight, draw.YTop
		dc.FillText(sty, vg.Point{X: dc.Max.X - vg.Points(6), Y: dc.Max.Y - vg.Points(6)}, text)
	}
	return nil
}

// medianSeries returns, per series, the median over the replicates' series
// at each x where they all share their x values (without error bars: the
// faint replicates show the spread), else the first replicate's series.
func medianSeries(sets [][]series) []series {
	out := make([]series, len(sets[0]))
	for i := range out {
		s := sets[0][i]
		same := true
		for _, set := range sets[1:] {
			same = same && i < len(set) && slices.Equal(set[i].x, s.x)
		}
		if !same {
			out[i] = s
			continue
		}
		s.yv, s.errv = make([]float64, len(s.x)), nil
		ys := make([]float64, len(sets))
		varies := false
		for k := range s.x {
			for r, set := range sets {
				ys[r] = set[i].yv[k]
				varies = varies || ys[r] != ys[0]
			}
			slices.Sort(ys)
			if n := len(ys); n%2 == 1 {
				s.yv[k] = ys[n/2]
			} else {
				s.yv[k] = (ys[n/2-1] + ys[n/2]) / 2
			}
		}
		if s.label != "" && varies {
			s.label += fmt.Sprintf(" (median of %d)", len(sets))
		}
		out[i] = s
	}
	return out
}

// addFaint draws one replicate's series as a thin, pale line without a
// legend entry.
func addFaint(pl *plot.Plot, s series, c color.RGBA) error {
	pts := make(plotter.XYs, len(s.x))
	for i := range s.x {
		pts[i].X, pts[i].Y = s.x[i], s.yv[i]
	}
	ln, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	c.A = 90
	ln.Color = color.NRGBA{R: c.R, G: c.G, B: c.B, A: c.A}
	ln.Width = vg.Points(0.6)
	pl.Add(ln)
	return nil
}

// fillNote replaces {col} and {col:FORMAT} (a printf verb such as .3f) by the
// value of the column in the table's first row; a NaN (a number the step
// could not determine) reads "n/a".
func fillNote(note string, t *artifact.Table) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(note, "{")
		if i < 0 {
			b.WriteString(note)
			return b.String(), nil
		}
		j := strings.Index(note[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("note: unclosed { in %q", note)
		}
		b.WriteString(note[:i])
		name, format, _ := strings.Cut(note[i+1:i+j], ":")
		col, err := t.Col(name)
		if err != nil {
			return "", fmt.Errorf("note: %w", err)
		}
		if len(col) == 0 {
			return "", fmt.Errorf("note: column %q is empty", name)
		}
		if format == "" {
			format = ".4g"
		}
		if math.IsNaN(col[0]) {
			b.WriteString("n/a")
		} else {
			b.WriteString(fmt.Sprintf("%"+format, col[0]))
		}
		note = note[i+j+1:]
	}
}

func addSeries(pl *plot.Plot, s series, c drawColor, legend bool) error {
	pts := make(plotter.XYs, len(s.x))
	for i := range s.x {
		pts[i].X, pts[i].Y = s.x[i], s.yv[i]
	}
	var thumb plot.Thumbnailer
	if s.style != "points" {
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		ln.Color = c
		pl.Add(ln)
		thumb = ln
	}
	if s.style != "line" && (s.style == "points" || len(s.x) <= 200) { // a long curve: points would hide the line
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.Color = c
		sc.Radius = vg.Points(1.8)
		sc.Shape = draw.CircleGlyph{}
		pl.Add(sc)
		if thumb == nil {
			thumb = sc
		}
	}
	if s.errv != nil {
		errs := make(plotter.YErrors, len(s.errv))
		for i, v := range s.errv {
			errs[i].Low, errs[i].High = v, v
		}
		bars, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			return err
		}
		bars.Color = c
		pl.Add(bars)
	}
	if legend && thumb != nil {
		pl.Legend.Add(s.label, thumb)
	}
	return nil
}
