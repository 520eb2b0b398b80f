package ops

import (
	"math"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// memory returns each op's estimate of what a step holds, from its
// parameters and the estimated bytes of its inputs, so that the plan refuses
// a step too large for the machine before anything runs. The estimates are
// upper bounds of the order of magnitude, not accounting: a configuration
// array of int8 spins becomes a float32 or float64 matrix inside most ops,
// hence the factors.
// tableBytes is the estimate of a small table or scalars output: a generous
// megabyte.
const tableBytes = 1 << 20

// small is the estimate of an op with small outputs and the given peak.
func small(peak float64) pipeline.Sizes {
	return pipeline.Sizes{Out: map[string]float64{}, Peak: peak}
}

func memory() map[string]func(p map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
	const table = tableBytes
	return map[string]func(map[string]spec.Value, map[string][]float64) pipeline.Sizes{
		"rbm.train": func(p map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data") // int8 spins: one byte per unit, four as float32
			return pipeline.Sizes{Out: map[string]float64{"model": math.NaN(), "curve": table}, Peak: 6 * 4 * d}
		},
		"rbm.flow": func(p map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data")
			steps := float64(p["steps"].Int) + 1
			out := steps * d // int8 when sampled
			if p["feed"].Str == "mean" {
				out *= 4
			}
			// Every step is kept as a float32 matrix until the end.
			return pipeline.Sizes{Out: map[string]float64{"flow": out}, Peak: 4*steps*d + out}
		},
		"rbm.receptive_fields": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"fields": math.NaN()}, Peak: math.NaN()}
		},
		"rbm.reconstruct": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data")
			return pipeline.Sizes{Out: map[string]float64{"reconstruction": 4 * d}, Peak: 16 * d}
		},
		"array.compare": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			return small(9 * pipeline.Total(in))
		},
		"array.norms": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"norms": table, "summary": table}, Peak: 9 * pipeline.One(in, "array")}
		},
		"rbm.activations": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			// Every layer's activations, each at most the data's float32 size.
			return pipeline.Sizes{Out: map[string]float64{"hidden": math.NaN()}, Peak: math.NaN()}
		},
		"mlp.train": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "spins")
			return pipeline.Sizes{Out: map[string]float64{"model": table, "curve": table, "confusion": table, "summary": table}, Peak: 3 * 4 * d}
		},
		"mlp.predict": func(_ map[string]spec.Value, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"prediction": table}, Peak: 9 * pipeline.One(in, "data")}
		},
	}
}

// withEstimates gives every op of ops what memory() and timeBounds() have
// for it: its memory estimate and its time bound.
func withEstimates(ops []pipeline.Op) []pipeline.Op {
	m, t := memory(), timeBounds()
	for _, op := range ops {
		if f, ok := op.(*pipeline.Func); ok {
			if m[f.OpName] != nil {
				f.MemoryFunc = m[f.OpName]
			}
			if t[f.OpName] != nil {
				f.TimeFunc = t[f.OpName]
			}
		}
	}
	return ops
}
