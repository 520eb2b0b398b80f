package ising

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/exact"
)

// BenchmarkMetropolis reports attempted flips per second at Tc.
func BenchmarkMetropolis(b *testing.B) {
	for _, L := range []int{32, 64} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			lat := NewLattice(L)
			r := rand.New(rand.NewPCG(1, 2))
			lat.Randomize(r)
			m := NewMetropolis(lat, 1/exact.Tc, 0, r)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Sweep()
			}
			b.ReportMetric(float64(b.N*lat.N())/b.Elapsed().Seconds(), "flips/s")
		})
	}
}

// BenchmarkWolff reports spins added to clusters per second at Tc.
func BenchmarkWolff(b *testing.B) {
	for _, L := range []int{32, 64} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			lat := NewLattice(L)
			r := rand.New(rand.NewPCG(1, 2))
			w := NewWolff(lat, 1/exact.Tc, 0, r)
			for i := 0; i < 100; i++ {
				w.Step()
			}
			b.ResetTimer()
			spins := 0
			for i := 0; i < b.N; i++ {
				spins += w.Step()
			}
			b.ReportMetric(float64(spins)/b.Elapsed().Seconds(), "spins/s")
		})
	}
}

// BenchmarkMultiSpin reports attempted flips per second (64 replicas per site
// visit) at Tc.
func BenchmarkMultiSpin(b *testing.B) {
	for _, L := range []int{32, 64} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			m, err := NewMultiSpin(L, []float64{exact.Tc}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				m.Sweep()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Sweep()
			}
			b.ReportMetric(float64(b.N*L*L*Replicas)/b.Elapsed().Seconds(), "flips/s")
		})
	}
}

// BenchmarkMultiSpinMeasure reports the cost of measuring all 64 replicas'
// energy and magnetization, in site visits per second.
func BenchmarkMultiSpinMeasure(b *testing.B) {
	m, err := NewMultiSpin(64, []float64{exact.Tc}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	m.Randomize(rand.New(rand.NewPCG(3, 4)))
	for i := 0; i < b.N; i++ {
		m.Measure()
	}
	b.ReportMetric(float64(b.N*64*64)/b.Elapsed().Seconds(), "sites/s")
}
