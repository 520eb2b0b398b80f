package nrg

import (
	"fmt"
	"testing"
)

// BenchmarkLossAndGradient times one training step's loss and gradient at the
// paper profile's shapes (8×8, 3 levels, batch 256; 16×16, 4 levels, batch
// 512; 8 couplings of hidden width 10), plain and symmetrised (which adds an
// inverse pass and its backward).
func BenchmarkLossAndGradient(b *testing.B) {
	for _, s := range []struct {
		L, levels, batch int
		sym              bool
	}{{8, 3, 256, false}, {16, 4, 512, false}, {16, 4, 512, true}} {
		tg, err := NewTarget(s.L, 2.269185314213022)
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewFlow(Config{L: s.L, Levels: s.levels, Couplings: 8, Hidden: 10, Symmetric: s.sym}, newRand(1))
		if err != nil {
			b.Fatal(err)
		}
		z := Prior(newRand(2), s.batch, f.N)
		grad := make([]float64, len(f.Params))
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("L=%d/threads=%d", s.L, threads)
			if s.sym {
				name = fmt.Sprintf("L=%d/symmetric/threads=%d", s.L, threads)
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					f.Loss(tg, z, grad, threads)
				}
				b.ReportMetric(float64(b.N*len(z))/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}
