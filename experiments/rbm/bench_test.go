package rbm

import (
	"context"
	"fmt"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// BenchmarkEpoch times one CD-1 epoch (batch 100, one thread) of the shapes
// `kadanoff bench rbm` compares with PyTorch, the large one also with bf16
// products.
func BenchmarkEpoch(b *testing.B) {
	for _, s := range []struct {
		nv, nh, n int
		units     Units
		bf16      bool
	}{{1024, 256, 10000, Binary, false}, {1024, 256, 10000, Spin, false}, {4096, 1024, 2000, Binary, false}, {4096, 1024, 2000, Binary, true}} {
		name := fmt.Sprintf("%s/%dx%d/n%d", s.units, s.nv, s.nh, s.n)
		if s.bf16 {
			name += "/bf16"
		}
		b.Run(name, func(b *testing.B) {
			data := linalg.NewMatrix(s.n, s.nv)
			r := linalg.NewRand(1)
			for i := range data.Data {
				data.Data[i] = float32(r.Uint64() & 1)
				if s.units == Spin {
					data.Data[i] = 2*data.Data[i] - 1
				}
			}
			cfg := Config{Hidden: s.nh, Units: s.units, Epochs: b.N, Batch: 100, LR: 0.01, Momentum: 0.5, K: 1, InitStd: 0.01, Monitor: 100}
			tr := &Trainer{Config: cfg, Gemm: &linalg.Gemm{Threads: 1, BF16: s.bf16}, Rand: linalg.NewRand(2)}
			b.ResetTimer()
			if _, _, err := tr.Train(context.Background(), data, linalg.Matrix{}, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/epoch")
		})
	}
}
