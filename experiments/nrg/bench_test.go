package nrg

import (
	"fmt"
	"testing"
)

// BenchmarkLossAndGradient times one training step's loss and gradient at the
// paper profile's shape (8×8, 3 levels, 8 couplings, hidden 10, batch 256).
func BenchmarkLossAndGradient(b *testing.B) {
	tg, err := NewTarget(8, 2.269185314213022)
	if err != nil {
		b.Fatal(err)
	}
	f, err := NewFlow(Config{L: 8, Levels: 3, Couplings: 8, Hidden: 10}, newRand(1))
	if err != nil {
		b.Fatal(err)
	}
	z := Prior(newRand(2), 256, f.N)
	grad := make([]float64, len(f.Params))
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f.Loss(tg, z, grad, threads)
			}
			b.ReportMetric(float64(b.N*len(z))/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
