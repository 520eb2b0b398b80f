// Package ops exposes the physics and learning kernels of experiments/ to specs
// as pipeline operations. Each op declares its parameters, inputs and outputs,
// decodes its inputs, calls a kernel and encodes the result; the kernels know
// nothing of the pipeline.
package ops

import (
	"github.com/kadanoff/kadanoff/pipeline"
)

// All returns every operation of this package.
func All() []pipeline.Op {
	return []pipeline.Op{
		whiteNoise(),
		checkerboard(),
		panelG(),
		trend(),
		level(),
		isingSample(),
		scalingDimension(),
		rbmTrain(),
		rbmFlow(),
		rbmReceptiveFields(),
		mlpTrain(),
		mlpPredict(),
		flowMagnetization(),
		criticalFit(),
		selectTemperatures(),
		flowScalingDimension(),
		seriesTail(),
		flowTemperature(),
		tableSpread(),
		rgBlock(),
		hiddenVisible(),
		panelLocality(),
		rbmActivations(),
		scalarRatio(),
		arrayTake(),
		mlpTemperature(),
		tableStack(),
		seriesGrowth(),
		tablePick(),
		energyTemperature(),
		rbmReconstruct(),
		arrayCompare(),
		arrayNorms(),
		nrgTrain(),
		nrgReceptiveFields(),
	}
}
