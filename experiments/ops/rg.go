package ops

import (
	"context"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/blockspin"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The rg ops: block-spin renormalization.

// rgOps are the ops of this file, for All.
func rgOps() []pipeline.Op {
	return []pipeline.Op{rgBlock()}
}

type rgBlockParams struct {
	Steps int    `param:"steps" doc:"block-spin steps" default:"1" check:"min=1"`
	Rule  string `param:"rule" doc:"average or majority" default:"average" check:"oneof=average,majority"`
}

func rgBlock() pipeline.Op {
	return pipeline.Define(pipeline.Def[rgBlockParams]{
		Name:    "rg.block",
		Seeded:  true,
		Version: 1,
		Doc: "Block-spin renormalization group: non-overlapping 2×2 blocks of each L×L lattice become one site, `steps` times " +
			"(L → L/2^steps). The average rule s' = (s1+s2+s3+s4)/4 keeps the block mean (float32, values in {−1, −½, 0, ½, 1} " +
			"after one step from ±1 spins); the majority rule keeps ±1 spins (int8), breaking 2–2 ties at random.",
		In:  []pipeline.InputSpec{{Name: "spins", Kind: artifact.KindArray, Doc: "lattices [...][L][L] (int8 or float), L divisible by 2^steps"}},
		Out: []pipeline.OutputSpec{{Name: "spins", Kind: artifact.KindArray, Doc: "[...][L/2^steps][L/2^steps]: float32 block averages, or int8 ±1 by majority"}},
		// int8 or float32 in; a float32 copy and the quarter-size output.
		Memory: func(p *rgBlockParams, in map[string][]float64) pipeline.Sizes {
			s := pipeline.One(in, "spins")
			units := pipeline.Units(in, "spins") / math.Pow(4, float64(p.Steps))
			return pipeline.Sizes{Out: map[string]float64{"spins": s, pipeline.UnitsKey("spins"): units}, Peak: 6 * s}
		},
		Time: quick[rgBlockParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *rgBlockParams) error {
			a, err := env.Array("spins")
			if err != nil {
				return err
			}
			if len(a.Shape) < 2 || a.Shape[len(a.Shape)-1] != a.Shape[len(a.Shape)-2] {
				return fmt.Errorf("spins: want lattices [...][L][L], got shape %v", a.Shape)
			}
			L := a.Shape[len(a.Shape)-1]
			lead := a.Shape[:len(a.Shape)-2]
			rule := blockspin.Rule(p.Rule)
			out, l, err := blockspin.Coarsen(float32s(a), a.Len()/(L*L), L, p.Steps, rule, env.Rand("ties"))
			if err != nil {
				return err
			}
			shape := append(append([]int{}, lead...), l, l)
			if rule == blockspin.Majority {
				spins := make([]int8, len(out))
				for i, v := range out {
					spins[i] = int8(v)
				}
				return env.PutArray("spins", artifact.NewInt8(spins, shape...))
			}
			return env.PutArray("spins", artifact.NewFloat32(out, shape...))
		},
	})
}

// float32s returns an array's elements as float32 (the array's own slice when
// it is float32).
func float32s(a *artifact.Array) []float32 {
	switch a.DType {
	case artifact.Float32:
		return a.F32
	case artifact.Int8:
		out := make([]float32, len(a.I8))
		for i, v := range a.I8 {
			out[i] = float32(v)
		}
		return out
	}
	f := a.Float64s()
	out := make([]float32, len(f))
	for i, v := range f {
		out[i] = float32(v)
	}
	return out
}
