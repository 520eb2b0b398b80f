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
		{Name: "where", Kind: spec.String, Doc: "COLUMN=VALUE: draw only the rows where the column has that value (one input temperature of a long table, say)",
			Check: func(v spec.Value) error {
				if _, _, err := parseWhere(v.Str); err != nil {
					return err
				}
				return nil
			}},
		{Name: "mark", Kind: spec.String, Doc: "a column whose rows above mark_min are drawn as open rings without error bars (a fit at its constraint, a thermometer's reading at its bound: a value that bounds, not measures)"},
		{Name: "mark_min", Kind: spec.Float, Doc: "rows whose mark column exceeds this are marked (default 0: every nonzero row)"},
		{Name: "mark_label", Kind: spec.String, Doc: "the legend entry of the marked rows (default: the mark column's name)"},
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
		col, _, _ := parseWhere(l.Where)
		out[i] = []string{l.X, l.By, l.Mark, col}
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
	Mark   string  `json:"mark"`
	// MarkMin is the value of the mark column above which a row is marked.
	MarkMin float64 `json:"mark_min"`
	Where   string  `json:"where"`
	// MarkLabel is the legend entry of the marked rows.
	MarkLabel string `json:"mark_label"`
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
	// markv, when the panel marks rows, is nonzero on the marked ones.
	markv []float64
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
		if l.Mark != "" {
			if s.markv, err = s.table.Col(l.Mark); err != nil {
				return nil, err
			}
		}
		// Copies: dropNonFinite compacts them, and columns are shared.
		s.x, s.yv = append([]float64(nil), s.x...), append([]float64(nil), s.yv...)
		if s.errv != nil {
			s.errv = append([]float64(nil), s.errv...)
		}
		if s.markv != nil {
			s.markv = l.marks(s.markv)
		}
		keep, err := l.rows(s.table)
		if err != nil {
			return nil, err
		}
		for k := range s.x {
			if !keep(k) {
				s.x[k] = math.NaN() // dropped with the non-finite points
			}
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
	for _, name := range []string{l.X, l.Y[0], pick(l.Err, 0), l.Mark} {
		if name == "" {
			continue
		}
		if cols[name], err = t.Col(name); err != nil {
			return nil, err
		}
	}
	keep, err := l.rows(t)
	if err != nil {
		return nil, err
	}
	var order []float64
	rows := map[float64][]int{}
	for i, k := range key {
		if !keep(i) {
			continue
		}
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
			if l.Mark != "" {
				s.markv = append(s.markv, l.marks(cols[l.Mark][r : r+1])[0])
			}
		}
		s.dropNonFinite()
		out = append(out, s)
	}
	return out, nil
}

// marks returns 1 for the values of a mark column above mark_min, else 0.
func (l *line) marks(col []float64) []float64 {
	out := make([]float64, len(col))
	for i, v := range col {
		if v > l.MarkMin {
			out[i] = 1
		}
	}
	return out
}

// parseWhere splits a where field, COLUMN=VALUE; an empty one selects all.
func parseWhere(w string) (col string, v float64, err error) {
	if w == "" {
		return "", 0, nil
	}
	col, val, ok := strings.Cut(w, "=")
	if !ok || col == "" {
		return "", 0, fmt.Errorf("where: want COLUMN=VALUE, got %q", w)
	}
	if v, err = strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil {
		return "", 0, fmt.Errorf("where: %q is not a number", val)
	}
	return strings.TrimSpace(col), v, nil
}

// rows returns which rows of t the panel's where field selects.
func (l *line) rows(t *artifact.Table) (func(int) bool, error) {
	col, v, err := parseWhere(l.Where)
	if err != nil || col == "" {
		return func(int) bool { return true }, err
	}
	c, err := t.Col(col)
	if err != nil {
		return nil, err
	}
	return func(i int) bool { return math.Abs(c[i]-v) <= 1e-9*math.Max(1, math.Abs(v)) }, nil
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
		if s.markv != nil {
			s.markv[k] = s.markv[i]
		}
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
	if s.markv != nil {
		s.markv = s.markv[:k]
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
	marked, clipped := false, false
	for i, s := range ss {
		allX = append(allX, s.x...)
		m, c, err := addSeries(pl, s, seriesColor(i), len(ss) > 1 || l.Labels != nil || l.By != "", l.XLim, l.YLim)
		if err != nil {
			return err
		}
		marked, clipped = marked || m, clipped || c
	}
	if marked {
		label := l.MarkLabel
		if label == "" {
			label = l.Mark
		}
		pl.Legend.Add(label, ringThumb{})
	}
	if clipped {
		pl.Legend.Add("beyond the axis", clipThumb{})
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

// addSeries adds a series to the plot: its line, its points (rings where
// marked), its error bars (none on marked points) and, when ylim is set,
// a triangle at the axis's edge for each point beyond it that lies within
// xlim (a curve drawn as a line has no points to clip). It reports whether
// any point was marked and any clipped.
func addSeries(pl *plot.Plot, s series, c drawColor, legend bool, xlim, ylim []float64) (marked, clipped bool, err error) {
	pts := make(plotter.XYs, len(s.x))
	for i := range s.x {
		pts[i].X, pts[i].Y = s.x[i], s.yv[i]
	}
	isMarked := func(i int) bool { return s.markv != nil && s.markv[i] != 0 }
	beyond := func(i int) int {
		if len(ylim) != 2 || s.style == "line" || (len(xlim) == 2 && (s.x[i] < xlim[0] || s.x[i] > xlim[1])) {
			return 0
		}
		switch {
		case s.yv[i] > ylim[1]:
			return 1
		case s.yv[i] < ylim[0]:
			return -1
		}
		return 0
	}
	var plain, rings plotter.XYs
	for i, p := range pts {
		switch {
		case beyond(i) != 0:
			clipped = true
		case isMarked(i):
			rings = append(rings, p)
		default:
			plain = append(plain, p)
		}
	}
	var thumb plot.Thumbnailer
	if s.style != "points" {
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return false, false, err
		}
		ln.Color = c
		pl.Add(ln)
		thumb = ln
	}
	if s.style != "line" && (s.style == "points" || len(s.x) <= 200) { // a long curve: points would hide the line
		if len(plain) > 0 {
			sc, err := plotter.NewScatter(plain)
			if err != nil {
				return false, false, err
			}
			sc.Color = c
			sc.Radius = vg.Points(1.8)
			sc.Shape = draw.CircleGlyph{}
			pl.Add(sc)
			if thumb == nil {
				thumb = sc
			}
		}
		if len(rings) > 0 {
			sc, err := plotter.NewScatter(rings)
			if err != nil {
				return false, false, err
			}
			sc.Color = c
			sc.Radius = vg.Points(2.6)
			sc.Shape = draw.RingGlyph{}
			pl.Add(sc)
			marked = true
		}
	}
	for _, dir := range []int{1, -1} {
		var edge plotter.XYs
		for i, p := range pts {
			if beyond(i) == dir {
				y := ylim[1]
				if dir < 0 {
					y = ylim[0]
				}
				edge = append(edge, plotter.XY{X: p.X, Y: y})
			}
		}
		if len(edge) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(edge)
		if err != nil {
			return false, false, err
		}
		sc.Color = c
		sc.Radius = vg.Points(3.2)
		sc.Shape = edgeGlyph{down: dir < 0}
		pl.Add(sc)
	}
	if s.errv != nil {
		var bpts plotter.XYs
		var errs plotter.YErrors
		for i, v := range s.errv {
			if isMarked(i) {
				continue
			}
			bpts = append(bpts, pts[i])
			errs = append(errs, struct{ Low, High float64 }{v, v})
		}
		if len(bpts) > 0 {
			bars, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{bpts, errs})
			if err != nil {
				return false, false, err
			}
			bars.Color = c
			pl.Add(bars)
		}
	}
	if legend && thumb != nil {
		pl.Legend.Add(s.label, thumb)
	}
	return marked, clipped, nil
}

// edgeGlyph is a filled triangle at the edge of the axis, pointing out of
// it: the point lies beyond (up, or down).
type edgeGlyph struct{ down bool }

func (g edgeGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	tip, base := r, -r*0.6
	if g.down {
		tip, base = -tip, -base
	}
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + tip})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y + base})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + base})
	p.Close()
	c.SetColor(sty.Color)
	c.Fill(p)
}

// ringThumb and clipThumb draw the legend entries of marked and clipped points.
type ringThumb struct{}

func (ringThumb) Thumbnail(c *draw.Canvas) {
	pt := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	c.DrawGlyph(draw.GlyphStyle{Color: color.Gray{Y: 90}, Radius: vg.Points(2.6), Shape: draw.RingGlyph{}}, pt)
}

type clipThumb struct{}

func (clipThumb) Thumbnail(c *draw.Canvas) {
	pt := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	c.DrawGlyph(draw.GlyphStyle{Color: color.Gray{Y: 90}, Radius: vg.Points(3.2), Shape: edgeGlyph{}}, pt)
}
