package ops

import (
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
