package figures

import (
	"context"
	"fmt"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Op returns the pipeline operation that renders a spec's figure (pipeline.FigureOp).
func Op() pipeline.Op {
	return &pipeline.Func{
		OpName:    pipeline.FigureOp,
		OpVersion: 1,
		OpDoc:     "Renders a figure of the spec (added by the pipeline for each entry of figures:).",
		In:        []pipeline.InputSpec{{Name: "panels", Doc: "one artifact per panel", Many: true}},
		Par:       []pipeline.ParamSpec{{Name: "layout", Kind: spec.Object, Doc: "panels and their arrangement"}},
		Out: []pipeline.OutputSpec{
			{Name: "svg", Kind: artifact.KindSVG, Doc: "the figure as SVG"},
			{Name: "png", Kind: artifact.KindPNG, Doc: "the figure as PNG at 150 dpi"},
		},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			var l Layout
			if err := env.Object("layout", &l); err != nil {
				return fmt.Errorf("layout: %w", err)
			}
			blobs, err := env.Inputs("panels")
			if err != nil {
				return err
			}
			kinds := env.InputKinds("panels")
			data := make([]Data, len(blobs))
			for i, b := range blobs {
				if data[i], err = Decode(kinds[i], b); err != nil {
					return fmt.Errorf("panel %d: %w", i+1, err)
				}
			}
			svg, png, err := Render(&l, data)
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
