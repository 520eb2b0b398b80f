// Package ops exposes the physics and learning kernels of experiments/ to specs
// as pipeline operations. Each op declares its parameters, inputs and outputs,
// decodes its inputs, calls a kernel and encodes the result; the kernels know
// nothing of the pipeline.
package ops

import (
	"slices"

	"github.com/kadanoff/kadanoff/pipeline"
)

// All returns every operation of this package: each file lists its own
// (an op is declared and listed in one file; a test fails for one that is
// not listed).
func All() []pipeline.Op {
	return slices.Concat(patternOps(), correlatorOps(), seriesOps(), isingOps(), rbmOps(), mlpOps(), fitOps(), rgOps(), tableOps(), nrgOps())
}
