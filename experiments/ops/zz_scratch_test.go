package ops

import (
	"context"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mlp"
)

func TestZZEpoch(t *testing.T) {
	x := linalg.NewMatrix(60000, 100)
	r := linalg.NewRand(1)
	labels := make([]int, x.Rows)
	for i := range x.Data {
		x.Data[i] = float32(2*int(r.Uint64()&1) - 1)
	}
	for i := range labels {
		labels[i] = i % 60
	}
	for _, aug := range []bool{false, true} {
		cfg := mlp.Config{Hidden: []int{80}, Activation: "tanh", Optimizer: "adam", LR: 0.001, Epochs: 3, Batch: 50, Validation: 0.4}
		if aug {
			cfg.Augment = isingSymmetry(10, 10)
		}
		start := time.Now()
		mlp.Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(5), x, labels, 60, cfg, nil)
		t.Logf("aug %v: %v per epoch", aug, time.Since(start)/3)
	}
}
