package figures

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

func testData() (*Layout, []Data) {
	ref := 0.0
	l := &Layout{Number: "1", Columns: 2, Size: []float64{6, 5}, Panels: []Panel{
		{Kind: "heatmap", Title: "(a)"},
		{Kind: "line", Title: "(b)", X: "r", Y: Columns{"g"}, Err: "e", Ref: &ref},
		{Kind: "heatmap", Title: "(c)", Index: 1},
	}}
	panels := artifact.NewFloat64(make([]float64, 2*4*4), 2, 4, 4)
	for i := range panels.F64 {
		panels.F64[i] = math.Sin(float64(i))
	}
	tab := &artifact.Table{Columns: []artifact.Column{
		{Name: "r", Values: []float64{0, 1, 2}}, {Name: "g", Values: []float64{1, 0.5, 0.1}}, {Name: "e", Values: []float64{0.1, 0.1, 0.1}},
	}}
	return l, []Data{{Array: panels}, {Table: tab}, {Array: panels}}
}

func TestRender(t *testing.T) {
	l, data := testData()
	svg, pngData, err := Render(l, data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "(b)") {
		t.Error("SVG lacks the plot or its titles")
	}
	if !strings.Contains(string(svg), "<image") {
		t.Error("heat maps are not rasterized inside the SVG")
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	// Two columns of 6 cm and two rows of 5 cm at 150 dpi.
	if b := img.Bounds(); b.Dx() != 709 || b.Dy() != 591 {
		t.Errorf("PNG is %dx%d, want 709x591", b.Dx(), b.Dy())
	}
	// Rendering is deterministic.
	svg2, png2, _ := Render(l, data)
	if !bytes.Equal(svg, svg2) || !bytes.Equal(pngData, png2) {
		t.Error("rendering twice gave different bytes")
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Layout, []Data)
		want string
	}{
		{"index", func(l *Layout, _ []Data) { l.Panels[2].Index = 5 }, "index 5 out of range"},
		{"column", func(l *Layout, _ []Data) { l.Panels[1].Y = Columns{"nope"} }, `no column "nope"`},
		{"kind", func(l *Layout, d []Data) { d[0] = d[1] }, "a heatmap needs array data"},
		{"nan", func(_ *Layout, d []Data) {
			d[1] = Data{Table: &artifact.Table{Columns: []artifact.Column{{Name: "r", Values: []float64{0}}, {Name: "g", Values: []float64{math.NaN()}}}}}
		}, "non-finite"},
		{"second column", func(l *Layout, _ []Data) { l.Panels[1].Y = Columns{"g", "nope"}; l.Panels[1].Err = "" }, `no column "nope"`},
		{"too many series", func(l *Layout, _ []Data) { l.Panels[1].Y = make(Columns, 7) }, "at most 6"},
		{"shape", func(_ *Layout, d []Data) { d[0] = Data{Array: artifact.NewFloat64(make([]float64, 6), 2, 3)} }, "shaped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, data := testData()
			tt.edit(l, data)
			_, _, err := Render(l, data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// Several y columns draw one series each, with a legend of their labels;
// y decodes from a string or a list.
func TestSeries(t *testing.T) {
	l, data := testData()
	l.Panels[1].Y, l.Panels[1].Err, l.Panels[1].Labels = Columns{"g", "e"}, "", []string{"first series", "second series"}
	svg, _, err := Render(l, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first series", "second series"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("legend lacks %q", want)
		}
	}
	for _, c := range []struct {
		src  string
		want Columns
	}{{`"g"`, Columns{"g"}}, {`["g","e"]`, Columns{"g", "e"}}} {
		var got Columns
		if err := got.UnmarshalJSON([]byte(c.src)); err != nil || len(got) != len(c.want) || got[0] != c.want[0] {
			t.Errorf("%s: %v %v", c.src, got, err)
		}
	}
	var bad Columns
	if err := bad.UnmarshalJSON([]byte(`3`)); err == nil {
		t.Error("a number decoded as columns")
	}
}
