package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// opParams are the figure op's parameters: a figure entry of the spec.
type opParams struct {
	Number     string    `param:"number" doc:"the figure's number in the paper"`
	Columns    int       `param:"columns" doc:"panels per row" default:"1" check:"min=1"`
	Size       []float64 `param:"size" doc:"[width, height] of each panel in cm" default:"[9, 7]"`
	ColorScale string    `param:"colorscale" doc:"panel: each heat map its own colour scale; shared: one for the figure" default:"panel" check:"oneof=panel,shared"`
	Panels     any       "param:\"panels\" doc:\"the panels: kind and fields (`kadanoff ops` lists the kinds)\""
	Profile    string    `param:"profile" doc:"the profile being built (set by the pipeline); other than paper, the figure is watermarked"`
}

// Op returns the pipeline operation that draws a spec's figure (spec.FigureOp):
// every entry of figures: becomes a step of this op. A figure's key holds what
// it draws (its layout, its inputs, the renderer's version), not the tool's
// revision: the report writer stamps that into the files it writes.
func Op() pipeline.Op {
	return pipeline.Define(pipeline.Def[opParams]{
		Name:    spec.FigureOp,
		Version: 10,
		Doc:     "Draws a figure of the spec (each entry of figures: is a step of this op) to SVG and PNG.",
		In:      []pipeline.InputSpec{{Name: "panels", Doc: "the panels' data, in panel order", Many: true, Check: checkInputKinds}},
		Checks: map[string]func(spec.Value) error{
			"size": sizeCheck,
		},
		CheckNodes: map[string]func(*yaml.Node) error{
			"panels": CheckPanels,
		},
		Out: []pipeline.OutputSpec{
			{Name: "svg", Kind: artifact.KindSVG, Doc: "the figure as SVG"},
			{Name: "png", Kind: artifact.KindPNG, Doc: "the figure as PNG at 150 dpi"},
		},
		Validate: canvasCheck,
		// The panels' data decoded, and two canvases at 150 dpi.
		Memory: func(_ *opParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"svg": 1 << 24, "png": 1 << 23}, Peak: 3*pipeline.Total(in) + 1<<26}
		},
		// A second, and the panels' data read at 20 MB/s.
		Time: func(_ *opParams, in map[string][]float64) time.Duration {
			s := 1 + pipeline.Total(in)/20e6
			if math.IsNaN(s) {
				return 0
			}
			return time.Duration(s * float64(time.Second))
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *opParams) error {
			l := Layout{Number: p.Number, Columns: p.Columns, Size: p.Size, ColorScale: p.ColorScale}
			var panels []json.RawMessage
			if err := env.Object("panels", &panels); err != nil {
				return fmt.Errorf("panels: %w", err)
			}
			l.Panels = panels
			profile := p.Profile
			switch profile {
			case "paper":
			case "quick":
				l.Watermark = "quick profile — not the paper's scale"
			default: // an extended profile is no smaller than the paper's
				l.Watermark = profile + " profile — not the paper profile"
			}
			blobs, err := env.Inputs("panels")
			if err != nil {
				return err
			}
			kinds, sources := env.InputKinds("panels"), env.InputSources("panels")
			data := make([]Data, len(blobs))
			for i, b := range blobs {
				if data[i], err = Decode(kinds[i], b); err != nil {
					return fmt.Errorf("input %d (%s): %w", i+1, sources[i], err)
				}
				data[i].Source = sources[i]
			}
			paper, _, _ := strings.Cut(env.Step(), "/")
			meta := &Provenance{Paper: paper, Figure: l.Number, Profile: profile, Key: string(env.Key())}
			svg, png, err := Render(&l, data, meta)
			if err != nil {
				return err
			}
			if err := env.Put("svg", artifact.KindSVG, svg); err != nil {
				return err
			}
			return env.Put("png", artifact.KindPNG, png)
		},
	})
}

// maxPanelCM bounds a panel's side and maxCanvasCM the figure's (about
// 17,700 pixels at 150 dpi): a canvas past them is a typo or an attack, and
// would exhaust memory when drawn.
const (
	maxPanelCM  = 100
	maxCanvasCM = 300
)

func sizeCheck(v spec.Value) error {
	if len(v.Floats) != 2 || !(v.Floats[0] > 0) || !(v.Floats[1] > 0) {
		return fmt.Errorf("want [width, height] in centimetres")
	}
	if v.Floats[0] > maxPanelCM || v.Floats[1] > maxPanelCM {
		return fmt.Errorf("a panel of %g × %g cm: at most %d cm a side", v.Floats[0], v.Floats[1], maxPanelCM)
	}
	return nil
}

// canvasCheck bounds the whole figure: columns of panels by rows of them.
func canvasCheck(p *opParams) error {
	list, _ := p.Panels.([]any)
	if len(p.Size) != 2 || p.Columns < 1 || len(list) == 0 {
		return nil // reported by the parameters' own checks
	}
	c := min(p.Columns, len(list))
	rows := (len(list) + c - 1) / c
	w, h := float64(c)*p.Size[0], float64(rows)*p.Size[1]
	if w > maxCanvasCM || h > maxCanvasCM {
		return fmt.Errorf("the figure would be %g × %g cm (%d columns, %d rows of panel_size): at most %d cm a side", w, h, c, rows, maxCanvasCM)
	}
	return nil
}

// checkInputKinds checks at plan time that every panel gets as many inputs
// as its kind takes, of the kind's artifact kind, with the table columns the
// panel names where the producing op declares its columns.
func checkInputKinds(params map[string]spec.Value, in []pipeline.InputInfo) (int, error) {
	v, ok := params["panels"]
	if !ok {
		return 0, nil
	}
	b, err := json.Marshal(v.Object)
	if err != nil {
		return 0, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return 0, nil // CheckPanels reports malformed panels
	}
	next := 0
	for _, raw := range raws {
		var h head
		if json.Unmarshal(raw, &h) != nil {
			return next, nil
		}
		k, ok := KindByName(h.Kind)
		if !ok {
			return next, nil
		}
		lo, hi, want := k.Inputs()
		reps := max(h.Replicates, 1)
		refs := h.Inputs / reps // what the panel was written with
		if refs < lo || (hi > 0 && refs > hi) {
			return next, fmt.Errorf("a %s panel takes %s, got %d", h.Kind, inputCount(lo, hi), refs)
		}
		var needs [][]string
		if c, ok := k.(interface {
			columns(raw json.RawMessage, inputs int) [][]string
		}); ok {
			needs = c.columns(raw, refs)
		}
		for j := 0; j < h.Inputs && next+j < len(in); j++ {
			info := in[next+j]
			if info.Kind != want {
				return next + j, fmt.Errorf("a %s panel draws %s data, this input is %s", h.Kind, want, info.Kind)
			}
			if j/reps < len(needs) {
				for _, col := range needs[j/reps] {
					if col != "" && !info.HasColumn(col) {
						return next + j, fmt.Errorf("the %s panel reads column %q, which this input does not have (columns: %s)", h.Kind, col, strings.Join(info.Columns, ", "))
					}
				}
			}
		}
		next += h.Inputs
	}
	return 0, nil
}
