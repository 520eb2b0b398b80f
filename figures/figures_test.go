package figures

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

var regen = flag.Bool("regen", false, "rewrite the golden images in testdata/")

// layout builds a figure from panels written as the spec writes them (YAML),
// after checking them as the plan does.
func layout(t *testing.T, cols int, size []float64, panels string) *Layout {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(panels), &n); err != nil {
		t.Fatal(err)
	}
	if err := CheckPanels(n.Content[0]); err != nil {
		t.Fatalf("CheckPanels: %v", err)
	}
	var raw []json.RawMessage
	var v any
	if err := n.Content[0].Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	return &Layout{Number: "1", Columns: cols, Size: size, Panels: raw}
}

func table(cols map[string][]float64, order ...string) Data {
	t := &artifact.Table{}
	for _, name := range order {
		t.Columns = append(t.Columns, artifact.Column{Name: name, Values: cols[name]})
	}
	return Data{Table: t, Source: "demo/t"}
}

// lattices returns n L×L lattices: a signed smooth pattern, a different phase each.
func testLattices(n, L int) Data {
	z := make([]float64, n*L*L)
	for k := 0; k < n; k++ {
		for y := 0; y < L; y++ {
			for x := 0; x < L; x++ {
				z[(k*L+y)*L+x] = math.Sin(float64(x)*0.9+float64(k)) * math.Cos(float64(y)*0.5) * float64(k+1)
			}
		}
	}
	return Data{Array: artifact.NewFloat64(z, n, L, L), Source: "demo/panels"}
}

// spinLattices is n lattices of ±1 spins in a fixed pattern.
func spinLattices(n, L int) Data {
	z := make([]float64, n*L*L)
	for i := range z {
		z[i] = 1
		if (i*i+3*i/7)%5 < 2 {
			z[i] = -1
		}
	}
	return Data{Array: artifact.NewFloat64(z, n, L, L), Source: "demo/spins"}
}

// blockAverages is one 2×2 block-average step of lattices.
func blockAverages(d Data) Data {
	n, L := d.Array.Shape[0], d.Array.Shape[1]
	l := L / 2
	z := make([]float64, n*l*l)
	for k := 0; k < n; k++ {
		for y := 0; y < l; y++ {
			for x := 0; x < l; x++ {
				var s float64
				for _, o := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					s += d.Array.F64[k*L*L+(2*y+o[1])*L+2*x+o[0]]
				}
				z[k*l*l+y*l+x] = s / 4
			}
		}
	}
	return Data{Array: artifact.NewFloat64(z, n, l, l), Source: "demo/blocks"}
}

// checkGolden compares a rendered PNG with testdata/NAME_golden.png within a
// tolerance (font rasterisation may differ in the last bits between
// platforms); -regen rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+"_golden.png")
	if *regen {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -regen to create it)", err)
	}
	if diff, err := pixelDiff(got, want); err != nil || diff > 0.01 {
		if err == nil {
			err = fmt.Errorf("%.2f%% of pixels differ", 100*diff)
		}
		// Keep what was drawn where it can be looked at (the test's temporary
		// directory is removed when it ends).
		kept := filepath.Join(os.TempDir(), "kadanoff-"+name+"_got.png")
		if werr := os.WriteFile(kept, got, 0o644); werr != nil {
			kept = "(not kept: " + werr.Error() + ")"
		}
		t.Errorf("%s differs from %s: %v; drawn: %s (go test -regen rewrites it after you have looked at it)", name, path, err, kept)
	}
}

// pixelDiff is the fraction of pixels whose colour differs by more than 10%
// in some channel; images of different sizes differ entirely.
func pixelDiff(a, b []byte) (float64, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 1, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 1, err
	}
	if ia.Bounds() != ib.Bounds() {
		return 1, fmt.Errorf("size %v, golden %v", ia.Bounds().Size(), ib.Bounds().Size())
	}
	r := ia.Bounds()
	bad := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := ia.At(x, y).RGBA()
			r2, g2, b2, a2 := ib.At(x, y).RGBA()
			for _, d := range []int{int(r1) - int(r2), int(g1) - int(g2), int(b1) - int(b2), int(a1) - int(a2)} {
				if d > 6553 || d < -6553 {
					bad++
					break
				}
			}
		}
	}
	return float64(bad) / float64(r.Dx()*r.Dy()), nil
}

// TestGolden renders one figure per panel kind and compares it with its golden image.
func TestGolden(t *testing.T) {
	tab := table(map[string][]float64{
		"r": {0, 1, 2, 3, 4, 5, 6, 7, 8}, "g": {1, 0.6, 0.3, 0.1, -0.05, 0.02, -0.01, 0.01, 0},
		"e": {0.05, 0.05, 0.04, 0.04, 0.03, 0.03, 0.03, 0.02, 0.02}, "fit": {1, 0.55, 0.3, 0.16, 0.09, 0.05, 0.03, 0.015, 0.008},
	}, "r", "g", "e", "fit")
	seeds := make([]Data, 3)
	for k := range seeds {
		x := []float64{1, 2, 4, 8, 16, 32}
		y := make([]float64, len(x))
		for i := range x {
			y[i] = 2 * math.Pow(x[i], -0.25) * (1 + 0.05*float64(k-1))
		}
		seeds[k] = table(map[string][]float64{"x": x, "y": y}, "x", "y")
		seeds[k].Source = "demo/seed[s=" + string(rune('1'+k)) + "].curve"
	}
	cases := []struct {
		name   string
		cols   int
		size   []float64
		panels string
		data   []Data
	}{
		{"heatmap", 1, []float64{8, 7}, `[{kind: heatmap, inputs: 1, title: "(a) panel", xlabel: x, ylabel: y, clabel: C}]`, []Data{testLattices(1, 12)}},
		{"heatmaps", 1, []float64{12, 8}, `[{kind: heatmaps, inputs: 1, title: hidden units, columns: 3, labels: [h1, h2, h3, h4, h5, h6]}]`, []Data{testLattices(6, 8)}},
		{"line", 2, []float64{8, 6.5}, `[
			{kind: line, inputs: 1, x: r, y: g, err: e, ref: 0, vref: 2.5, title: G(r), xlabel: r, ylabel: G},
			{kind: line, inputs: 1, x: r, y: [g, fit], style: [points, line], labels: [data, fit], logy: false, ylim: [-0.2, 1.1], legend: top-right}]`,
			[]Data{tab, tab}},
		{"band", 2, []float64{8, 6.5}, `[
			{kind: band, inputs: 3, x: x, y: y, spread: minmax, label: three seeds, logx: true, logy: true, xlabel: L, ylabel: m},
			{kind: line, inputs: 3, x: x, y: y, logx: true, title: one series per member}]`,
			append(append([]Data{}, seeds...), seeds...)},
		{"decimation", 1, []float64{10, 6}, `[{kind: decimation, inputs: 2, size: 8, index: 1, title: one block-spin step}]`,
			[]Data{spinLattices(2, 8), blockAverages(spinLattices(2, 8))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := layout(t, c.cols, c.size, c.panels)
			_, got, err := Render(l, c.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name, got)
		})
	}
}

// A heat map has one square cell per site, of one flat colour each: along a
// row through the middle, runs of one colour all have the same length (±1
// pixel), the same as down a column, with no blended colours between cells.
func TestHeatmapCellsExact(t *testing.T) {
	const L = 6
	z := make([]float64, L*L)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			z[y*L+x] = float64(((x + y) % 2 * 2) - 1) // ±1 checkerboard of single sites
		}
	}
	l := layout(t, 1, []float64{9, 6}, `[{kind: heatmap, inputs: 1, colorbar: false}]`)
	_, pngData, err := Render(l, []Data{{Array: artifact.NewFloat64(z, L, L)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	red := func(c color.Color) bool { r, g, bl, _ := c.RGBA(); return r > 40000 && g < 20000 && bl < 20000 }
	blue := func(c color.Color) bool { r, _, bl, _ := c.RGBA(); return bl > 40000 && r < 30000 }
	runs := func(at func(i int) color.Color, n int) []int {
		var out []int
		cur, length := 0, 0
		for i := 0; i < n; i++ {
			c := at(i)
			k := 0
			switch {
			case red(c):
				k = 1
			case blue(c):
				k = 2
			}
			if k != cur && cur != 0 && length > 0 {
				out = append(out, length)
				length = 0
			}
			if k != 0 {
				length++
			}
			cur = k
		}
		if length > 0 {
			out = append(out, length)
		}
		return out
	}
	// The lattice's middle: find a red or blue pixel's row and column.
	mid := image.Point{X: b.Dx() / 2, Y: b.Dy() / 2}
	row := runs(func(i int) color.Color { return img.At(i, mid.Y) }, b.Dx())
	col := runs(func(i int) color.Color { return img.At(mid.X, i) }, b.Dy())
	if len(row) != L || len(col) != L {
		t.Fatalf("row has %d cells, column %d, want %d: %v %v", len(row), len(col), L, row, col)
	}
	mean := 0.0
	for _, r := range append(row, col...) {
		mean += float64(r) / float64(2*L)
	}
	for _, r := range append(row, col...) {
		if math.Abs(float64(r)-mean) > 1.5 {
			t.Errorf("cells are not square or not equal: row runs %v, column runs %v", row, col)
			break
		}
	}
}

// Shared colour scales give every heat map of a figure the widest range.
func TestSharedColorScale(t *testing.T) {
	l := layout(t, 2, []float64{6, 5}, `[{kind: heatmap, inputs: 1, index: 1}, {kind: heatmap, inputs: 1, index: 2}]`)
	data := []Data{testLattices(3, 4), testLattices(3, 4)}
	panels := make([]Panel, 2)
	for i, raw := range l.Panels {
		p, err := heatmapKind{}.New(raw, data[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		panels[i] = p
	}
	lo0, hi0 := panels[0].(colorScaled).ColorRange()
	lo1, hi1 := panels[1].(colorScaled).ColorRange()
	if hi0 >= hi1 || lo0 != -hi0 {
		t.Fatalf("per-panel ranges [%v, %v] and [%v, %v]: want the first narrower and symmetric", lo0, hi0, lo1, hi1)
	}
	shareColors(panels)
	for i, p := range panels {
		if lo, hi := p.(colorScaled).ColorRange(); lo != lo1 || hi != hi1 {
			t.Errorf("panel %d range [%v, %v] after sharing, want [%v, %v]", i, lo, hi, lo1, hi1)
		}
	}
}

// Sharing a colour scale shares the palette too: a positive panel beside one
// that changes sign becomes diverging, centred on zero.
func TestSharedColorScalePalette(t *testing.T) {
	pos := testLattices(1, 4)
	for i, v := range pos.Array.F64 {
		pos.Array.F64[i] = math.Abs(v) + 0.1
	}
	var panels []Panel
	for i, d := range []Data{pos, testLattices(2, 4)} {
		p, err := heatmapKind{}.New([]byte(fmt.Sprintf(`{"index": %d}`, i)), []Data{d})
		if err != nil {
			t.Fatal(err)
		}
		panels = append(panels, p)
	}
	if panels[0].(colorScaled).Diverging() || !panels[1].(colorScaled).Diverging() {
		t.Fatal("want the positive panel sequential and the other diverging before sharing")
	}
	shareColors(panels)
	for i, p := range panels {
		lo, hi := p.(colorScaled).ColorRange()
		if !p.(colorScaled).Diverging() || lo != -hi {
			t.Errorf("panel %d after sharing: diverging %v, range [%v, %v]", i, p.(colorScaled).Diverging(), lo, hi)
		}
	}
}

func TestReadableTicks(t *testing.T) {
	tests := []struct {
		min, max float64
		integer  bool
		want     string
	}{
		{0, 5, false, "0 1 2 3 4 5"},
		{0, 7.9, false, "0 2 4 6"},
		{-0.3, 1.8, false, "0.0 0.5 1.0 1.5"},
		{1.9, 2.7, false, "2.0 2.2 2.4 2.6"},
		{-0.5, 31.5, true, "0 10 20 30"},
		{-0.5, 3.5, true, "0 1 2 3"},
		{0, 3000, false, "0 500 1000 1500 2000 2500 3000"},
		{0.2, 0.45, false, "0.20 0.25 0.30 0.35 0.40 0.45"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (readableTicks{integer: tt.integer}).Ticks(tt.min, tt.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("[%v, %v] integer=%v: labels %q, want %q", tt.min, tt.max, tt.integer, got, tt.want)
		}
	}
}

// CheckPanels reports mistakes at the field that has them.
func TestCheckPanels(t *testing.T) {
	tests := []struct{ panels, want string }{
		{`[{kind: pie}]`, `[0].kind: unknown panel kind "pie" (known: heatmap, heatmaps, line, band, decimation)`},
		{`[{kind: line, x: r}]`, `[0].y: a line panel needs y`},
		{`[{kind: line, x: r, y: g, colour: red}]`, `[0].colour: a line panel has no field "colour"`},
		{`[{kind: heatmap, index: -1}]`, `[0].index: must not be negative, got -1`},
		{`[{kind: heatmap, index: two}]`, `[0].index: want an integer`},
		{`[{kind: line, x: r, y: [a, b], labels: [one]}]`, `1 labels for 2 series`},
		{`[{kind: line, inputs: 3, x: r, y: [a, b]}]`, `2 y columns for 3 inputs`},
		{`[{kind: line, x: r, y: g, ylim: [2, 1]}]`, `[0].ylim: want [low, high] with low < high`},
		{`[{kind: line, x: r, y: g, style: dots}]`, `[0].style: want one of linepoints, line, points`},
		{`[{kind: heatmaps, columns: 0}]`, `[0].columns: must be at least 1`},
		{`[{kind: band, x: r, y: g, spread: var}]`, `[0].spread: want one of std, sem, minmax`},
		{`[{kind: line, x: r, y: g, ref: {from: 0, to: 1, step: 1}}]`, `[0].ref: want a floats, got a mapping`},
	}
	for _, tt := range tests {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tt.panels), &n); err != nil {
			t.Fatal(err)
		}
		err := CheckPanels(n.Content[0])
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.panels, err, tt.want)
			continue
		}
		var nes spec.NodeErrors
		if ne, ok := err.(spec.NodeErrors); ok {
			nes = ne
		}
		if len(nes) == 0 || nes[0].Node == nil || nes[0].Node.Line != 1 {
			t.Errorf("%s: error not located at a node: %#v", tt.panels, err)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tab := table(map[string][]float64{"r": {0, 1}, "g": {1, math.NaN()}, "h": {math.NaN(), math.Inf(1)}}, "r", "g", "h")
	tests := []struct {
		name, panels string
		data         []Data
		want         string
	}{
		{"index", `[{kind: heatmap, inputs: 1, index: 5}]`, []Data{testLattices(2, 4)}, "index 5 out of range: the array holds 2 lattices"},
		{"column", `[{kind: line, inputs: 1, x: r, y: nope}]`, []Data{tab}, `no column "nope"`},
		{"kind", `[{kind: heatmap, inputs: 1}]`, []Data{tab}, "input 1 (demo/t) is not npy data"},
		{"nan", `[{kind: line, inputs: 1, x: r, y: h}]`, []Data{tab}, "h: no finite point to draw"},
		{"shape", `[{kind: heatmap, inputs: 1}]`, []Data{{Array: artifact.NewFloat64(make([]float64, 6), 2, 3)}}, "shaped [..][L][L]"},
		{"inputs", `[{kind: heatmap, inputs: 2}]`, []Data{testLattices(1, 4), testLattices(1, 4)}, "takes 1 input(s), got 2"},
		{"band", `[{kind: band, inputs: 1, x: r, y: g}]`, []Data{tab}, "a band needs several inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			yaml.Unmarshal([]byte(tt.panels), &n)
			var v any
			n.Content[0].Decode(&v)
			b, _ := json.Marshal(v)
			l := &Layout{Number: "1", Columns: 1}
			json.Unmarshal(b, &l.Panels)
			_, _, err := Render(l, tt.data, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// Figures carry their provenance in their metadata and a watermark when not
// at paper scale; rendering is deterministic.
func TestProvenanceAndWatermark(t *testing.T) {
	l := layout(t, 1, []float64{6, 5}, `[{kind: heatmap, inputs: 1}]`)
	l.Watermark = "quick profile — not the paper's scale"
	meta := &Provenance{Paper: "demo", Figure: "12", Profile: "quick", Key: "abc123", Tool: "kadanoff v1 deadbeef+dirty"}
	data := []Data{testLattices(1, 4)}
	svg, pngData, err := Render(l, data, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<metadata>", "<kadanoff:action-key>abc123</kadanoff:action-key>", "<kadanoff:software>kadanoff v1 deadbeef+dirty</kadanoff:software>", "not the paper"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	for _, want := range []string{"tEXtkadanoff:action-key\x00abc123", "tEXtkadanoff:profile\x00quick", "tEXtSoftware\x00kadanoff v1 deadbeef+dirty"} {
		if !bytes.Contains(pngData, []byte(want)) {
			t.Errorf("PNG lacks the chunk %q", want)
		}
	}
	if _, err := png.Decode(bytes.NewReader(pngData)); err != nil {
		t.Errorf("PNG with text chunks does not decode: %v", err)
	}
	svg2, png2, _ := Render(l, data, meta)
	if !bytes.Equal(svg, svg2) || !bytes.Equal(pngData, png2) {
		t.Error("rendering twice gave different bytes")
	}
}

// A long table splits into one series per value of its by column, each
// labelled by the value.
func TestLineBy(t *testing.T) {
	tab := table(map[string][]float64{
		"step": {0, 1, 2, 0, 1, 2}, "T": {2.2, 2.2, 2.2, 2.3, 2.3, 2.3}, "d": {0.1, 0.12, 0.13, 0.2, 0.18, 0.16}, "e": {0.01, 0.01, 0.01, 0.02, 0.02, 0.02},
	}, "step", "T", "d", "e")
	l := layout(t, 1, []float64{8, 6}, `[{kind: line, inputs: 1, x: step, y: d, err: e, by: T, ref: 0.125}]`)
	svg, _, err := Render(l, []Data{tab}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"T = 2.2", "T = 2.3"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("legend lacks %q", want)
		}
	}
}

func TestQuantile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 100}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.25, 2}, {0.5, 3}, {0.75, 4}, {1, 100}} {
		if got := quantile(v, c.q); got != c.want {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}

// A line panel over replicates draws each one and their median, labelled as
// such where they differ; kinds that draw one replicate take the first of
// each reference's.
func TestLineReplicates(t *testing.T) {
	rep := func(ys ...float64) Data {
		return table(map[string][]float64{"x": {0, 1, 2}, "y": ys, "z": {1, 1, 1}}, "x", "y", "z")
	}
	in := []Data{rep(1, 2, 3), rep(3, 2, 1), rep(2, 5, 2)}
	l := &line{X: "x", Y: strList{"y", "z"}, in: in[:1]}
	var sets [][]series
	for _, d := range in {
		one := *l
		one.in = []Data{d}
		ss, err := one.series()
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, ss)
	}
	med := medianSeries(sets)
	if got := med[0].yv; !reflect.DeepEqual(got, []float64{2, 2, 2}) || med[0].label != "y (median of 3)" {
		t.Errorf("median %v labelled %q", got, med[0].label)
	}
	if med[1].label != "z" {
		t.Errorf("a series the same in every replicate is labelled %q", med[1].label)
	}
	lay := layout(t, 2, []float64{8, 6}, `[{kind: line, inputs: 3, replicates: 3, x: x, y: [y, z]}, {kind: heatmap, inputs: 2, replicates: 2}]`)
	svg, _, err := Render(lay, append(in, testLattices(1, 4), testLattices(1, 4)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "y (median of 3)") {
		t.Error("the legend does not name the median")
	}
	if got := firstReplicates([]int{0, 1, 2, 10, 11, 12}, 3); !reflect.DeepEqual(got, []int{0, 10}) {
		t.Errorf("firstReplicates = %v", got)
	}
}

// Marked rows are drawn as rings and named in the legend; points beyond
// ylim become triangles at the axis's edge, named too; nothing is marked
// or clipped where no row asks for it.
func TestLineMarkAndClip(t *testing.T) {
	tab := table(map[string][]float64{
		"n": {0, 1, 2, 3}, "tc": {2.3, 2.2, 9.0, 2.25}, "half": {0.01, 0, 40, 0.02}, "edge": {0, 1, 0, 0},
	}, "n", "tc", "half", "edge")
	l := layout(t, 1, []float64{8, 6}, `[{kind: line, inputs: 1, x: n, y: tc, err: half, mark: edge, mark_label: at the constraint, ylim: [2, 3], style: points}]`)
	svg, _, err := Render(l, []Data{tab}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"at the constraint", "beyond the axis"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("legend lacks %q", want)
		}
	}
	one := &line{X: "n", Y: strList{"tc"}, Err: strList{"half"}, Mark: "edge", in: []Data{tab}}
	ss, err := one.series()
	if err != nil {
		t.Fatal(err)
	}
	frac := table(map[string][]float64{"n": {0, 1, 2}, "t": {2, 7.9, 7}, "at_max": {0, 0.9, 0.05}}, "n", "t", "at_max")
	if ms, err := (&line{X: "n", Y: strList{"t"}, Mark: "at_max", MarkMin: 0.1, in: []Data{frac}}).series(); err != nil ||
		!reflect.DeepEqual(ms[0].markv, []float64{0, 1, 0}) {
		t.Errorf("mark_min 0.1 marks %v (%v), want only the row at 0.9", ms[0].markv, err)
	}
	tests := []struct {
		name          string
		s             series
		xlim, ylim    []float64
		marked, clips bool
	}{
		{"marked and clipped", ss[0], nil, []float64{2, 3}, true, true},
		{"no ylim: nothing clipped", ss[0], nil, nil, true, false},
		{"no mark column", series{x: ss[0].x, yv: ss[0].yv, style: "points"}, nil, []float64{2, 10}, false, false},
		{"the point beyond lies outside xlim", ss[0], []float64{0, 1.5}, []float64{2, 3}, true, false},
		{"a curve drawn as a line", series{x: ss[0].x, yv: ss[0].yv, style: "line"}, nil, []float64{2, 3}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c, err := addSeries(newPlot("", "", ""), tt.s, seriesColor(0), false, tt.xlim, tt.ylim)
			if err != nil || m != tt.marked || c != tt.clips {
				t.Errorf("marked %v, clipped %v, %v; want %v, %v", m, c, err, tt.marked, tt.clips)
			}
		})
	}
}

// where keeps the rows of one value of a column, for one input and for by.
func TestLineWhere(t *testing.T) {
	tab := table(map[string][]float64{
		"layer": {0, 1, 2, 0, 1, 2}, "T": {2, 2, 2, 2.6, 2.6, 2.6}, "set": {1, 1, 1, 2, 2, 2}, "t": {2, 5, 6, 2.6, 7, 6.5},
	}, "layer", "T", "set", "t")
	tests := []struct {
		name  string
		l     line
		want  []float64
		fails bool
	}{
		{"one input", line{X: "layer", Y: strList{"t"}, Where: "set=2"}, []float64{2.6, 7, 6.5}, false},
		{"by", line{X: "layer", Y: strList{"t"}, By: "T", Where: "set = 1"}, []float64{2, 5, 6}, false},
		{"no such column", line{X: "layer", Y: strList{"t"}, Where: "seed=1"}, nil, true},
		{"no row", line{X: "layer", Y: strList{"t"}, Where: "set=3"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.l.in = []Data{tab}
			ss, err := tt.l.series()
			if (err != nil) != tt.fails {
				t.Fatalf("err %v, want failure %v", err, tt.fails)
			}
			if !tt.fails && (len(ss) != 1 || !reflect.DeepEqual(ss[0].yv, tt.want)) {
				t.Errorf("series %+v, want one with y %v", ss, tt.want)
			}
		})
	}
	if _, _, err := parseWhere("set"); err == nil {
		t.Error("where without = is accepted")
	}
}
