package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Op returns the pipeline operation that draws a spec's figure (spec.FigureOp):
// every entry of figures: becomes a step of this op. tool names the running
// build; it goes into the files' metadata.
func Op(tool string) pipeline.Op {
	return &pipeline.Func{
		OpName:    spec.FigureOp,
		OpVersion: 7,
		OpDoc:     "Draws a figure of the spec (each entry of figures: is a step of this op) to SVG and PNG.",
		In:        []pipeline.InputSpec{{Name: "panels", Doc: "the panels' data, in panel order", Many: true, Check: checkInputKinds}},
		Par: []pipeline.ParamSpec{
			{Name: "number", Kind: spec.String, Doc: "the figure's number in the paper"},
			{Name: "columns", Kind: spec.Int, Default: pipeline.IntValue(1), Doc: "panels per row", Check: pipeline.AtLeast(1)},
			{Name: "size", Kind: spec.Floats, Default: &spec.Value{Kind: spec.Floats, Floats: []float64{9, 7}},
				Doc: "[width, height] of each panel in cm", Check: sizeCheck},
			{Name: "colorscale", Kind: spec.String, Default: pipeline.StringValue("panel"),
				Doc: "panel: each heat map its own colour scale; shared: one for the figure", Check: pipeline.OneOf("panel", "shared")},
			{Name: "panels", Kind: spec.Any, Doc: "the panels: kind and fields (`kadanoff ops` lists the kinds)", CheckNode: CheckPanels},
			{Name: "profile", Kind: spec.String, Doc: "the profile being built (set by the pipeline); other than paper, the figure is watermarked"},
			// The files name the tool that drew them, so the tool is a parameter:
			// a figure's bytes must follow from its key alone (kadanoff verify).
			{Name: "tool", Kind: spec.String, Default: pipeline.StringValue(tool), Doc: "the tool version and source revision written into the files' metadata (set by kadanoff)"},
		},
		Out: []pipeline.OutputSpec{
			{Name: "svg", Kind: artifact.KindSVG, Doc: "the figure as SVG"},
			{Name: "png", Kind: artifact.KindPNG, Doc: "the figure as PNG at 150 dpi"},
		},
		// The panels' data decoded, and two canvases at 150 dpi.
		MemoryFunc: func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"svg": 1 << 24, "png": 1 << 23}, Peak: 3*pipeline.Total(in) + 1<<26}
		},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			l := Layout{Number: env.String("number"), Columns: env.Int("columns"), Size: env.Floats("size"), ColorScale: env.String("colorscale")}
			var panels []json.RawMessage
			if err := env.Object("panels", &panels); err != nil {
				return fmt.Errorf("panels: %w", err)
			}
			l.Panels = panels
			profile := env.String("profile")
			if profile != "paper" {
				l.Watermark = profile + " profile — not the paper's scale"
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
			meta := &Provenance{Paper: paper, Figure: l.Number, Profile: profile, Key: string(env.Key()), Tool: env.String("tool")}
			svg, png, err := Render(&l, data, meta)
			if err != nil {
				return err
			}
			if err := env.Put("svg", artifact.KindSVG, svg); err != nil {
				return err
			}
			return env.Put("png", artifact.KindPNG, png)
		},
	}
}

func sizeCheck(v spec.Value) error {
	if len(v.Floats) != 2 || v.Floats[0] <= 0 || v.Floats[1] <= 0 {
		return fmt.Errorf("want [width, height] in centimetres")
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
