package ops

import (
	"context"
	"fmt"

	"github.com/kadanoff/kadanoff/experiments/pattern"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

func whiteNoise() pipeline.Op {
	return &pipeline.Func{
		OpName:    "pattern.white_noise",
		Seeded:    true,
		OpVersion: 1,
		OpDoc:     "Independent random values on each site of L×L panels: a correlator panel with no spatial structure.",
		Par: []pipeline.ParamSpec{
			{Name: "size", Kind: spec.Int, Doc: "lattice side L", Check: pipeline.AtLeast(1)},
			{Name: "panels", Kind: spec.Int, Doc: "number of panels", Default: pipeline.IntValue(1), Check: pipeline.AtLeast(1)},
			{Name: "distribution", Kind: spec.String, Doc: "normal, uniform (on [-1,1)) or sign (±1)", Default: pipeline.StringValue(pattern.Normal),
				Check: pipeline.OneOf(pattern.Normal, pattern.Uniform, pattern.Sign)},
		},
		Out: []pipeline.OutputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "float64 [panels][L][L]"}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			L, n := env.Int("size"), env.Int("panels")
			data, err := pattern.WhiteNoise(env.Rand("noise"), n, L, env.String("distribution"))
			if err != nil {
				return err
			}
			return env.PutArray("panels", artifact.NewFloat64(data, n, L, L))
		},
	}
}

func checkerboard() pipeline.Op {
	return &pipeline.Func{
		OpName:    "pattern.checkerboard",
		OpVersion: 1,
		OpDoc:     "An L×L panel of block×block sub-blocks alternating between +1 and -1.",
		Par: []pipeline.ParamSpec{
			{Name: "size", Kind: spec.Int, Doc: "lattice side L", Check: pipeline.AtLeast(1)},
			{Name: "block", Kind: spec.Int, Doc: "side of a sub-block", Check: pipeline.AtLeast(1)},
		},
		Out: []pipeline.OutputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "float64 [1][L][L]"}},
		ValidateFunc: func(p map[string]spec.Value) error {
			if b, L := p["block"].Int, p["size"].Int; b > L {
				return fmt.Errorf("block %d is larger than the lattice (size %d)", b, L)
			}
			return nil
		},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			L, b := env.Int("size"), env.Int("block")
			return env.PutArray("panels", artifact.NewFloat64(pattern.Checkerboard(L, b), 1, L, L))
		},
	}
}
