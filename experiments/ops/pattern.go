package ops

import (
	"context"
	"fmt"

	"github.com/kadanoff/kadanoff/experiments/pattern"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The pattern ops: synthetic correlator panels (white noise, checkerboards).

// patternOps are the ops of this file, for All.
func patternOps() []pipeline.Op {
	return []pipeline.Op{whiteNoise(), checkerboard()}
}

type whiteNoiseParams struct {
	Size         int    `param:"size" doc:"lattice side L" check:"min=1"`
	Panels       int    `param:"panels" doc:"number of panels" default:"1" check:"min=1"`
	Distribution string `param:"distribution" doc:"normal, uniform (on [-1,1)) or sign (±1)" default:"normal" check:"oneof=normal,uniform,sign"`
}

func whiteNoise() pipeline.Op {
	return pipeline.Define(pipeline.Def[whiteNoiseParams]{
		Name:    "pattern.white_noise",
		Seeded:  true,
		Version: 1,
		Doc:     "Independent random values on each site of L×L panels: a correlator panel with no spatial structure.",
		Out:     []pipeline.OutputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "float64 [panels][L][L]"}},
		Memory: func(p *whiteNoiseParams, _ map[string][]float64) pipeline.Sizes {
			out := 8 * float64(p.Panels) * float64(p.Size) * float64(p.Size)
			return pipeline.Sizes{Out: map[string]float64{"panels": out}, Peak: 2 * out}
		},
		Time: quick[whiteNoiseParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *whiteNoiseParams) error {
			data, err := pattern.WhiteNoise(env.Rand("noise"), p.Panels, p.Size, p.Distribution)
			if err != nil {
				return err
			}
			return env.PutArray("panels", artifact.NewFloat64(data, p.Panels, p.Size, p.Size))
		},
	})
}

type checkerboardParams struct {
	Size  int `param:"size" doc:"lattice side L" check:"min=1"`
	Block int `param:"block" doc:"side of a sub-block" check:"min=1"`
}

func checkerboard() pipeline.Op {
	return pipeline.Define(pipeline.Def[checkerboardParams]{
		Name:    "pattern.checkerboard",
		Version: 1,
		Doc:     "An L×L panel of block×block sub-blocks alternating between +1 and -1.",
		Out:     []pipeline.OutputSpec{{Name: "panels", Kind: artifact.KindArray, Doc: "float64 [1][L][L]"}},
		Validate: func(p *checkerboardParams) error {
			if p.Block > p.Size {
				return fmt.Errorf("block %d is larger than the lattice (size %d)", p.Block, p.Size)
			}
			return nil
		},
		Memory: func(p *checkerboardParams, _ map[string][]float64) pipeline.Sizes {
			L := float64(p.Size)
			return pipeline.Sizes{Out: map[string]float64{"panels": 8 * L * L}, Peak: 16 * L * L}
		},
		Time: quick[checkerboardParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *checkerboardParams) error {
			return env.PutArray("panels", artifact.NewFloat64(pattern.Checkerboard(p.Size, p.Block), 1, p.Size, p.Size))
		},
	})
}
