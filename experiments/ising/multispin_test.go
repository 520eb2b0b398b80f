package ising

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/mcstat"
)

// Every lane of a MultiSpin samples the Ising model at its own temperature: for
// L = 4, 8, 16, 32 with lanes at T = 1.5, Tc and 3.0 (21 or 22 replicas each),
// the energy averaged over a temperature's replicas lies within 4 standard
// errors (from τ_int) of Kaufman's exact value.
func TestMultiSpinEnergyMatchesKaufman(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	temps := []float64{1.5, exact.Tc, 3.0}
	for _, L := range []int{4, 5, 8, 16, 32} {
		t.Run(fmt.Sprintf("L=%d", L), func(t *testing.T) {
			t.Parallel()
			m, err := NewMultiSpin(L, temps, rng(uint64(L)))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 1000; i++ {
				m.Sweep()
			}
			sweeps := 8000
			series := make([][]float64, len(temps))
			n := float64(L * L)
			for i := 0; i < sweeps; i++ {
				m.Sweep()
				bonds, _ := m.Measure()
				sums := make([]float64, len(temps))
				for r := 0; r < Replicas; r++ {
					sums[r%len(temps)] -= float64(bonds[r]) / n
				}
				for k := range temps {
					series[k] = append(series[k], sums[k]/float64((Replicas-k+len(temps)-1)/len(temps)))
				}
			}
			for k, T := range temps {
				tau := mcstat.IntegratedTime(series[k], 6)
				mean, se := mcstat.MeanErr(series[k], tau.Tau)
				want := exact.Energy(L, T)
				if math.Abs(mean-want) > 4*se {
					t.Errorf("T=%.3f: e = %.6f ± %.6f (τ=%.2f), exact %.6f: %.1fσ off", T, mean, se, tau.Tau, want, math.Abs(mean-want)/se)
				}
			}
		})
	}
}

// Lanes are independent: two replicas at the same temperature, started
// identically, decorrelate (their energy series do not agree), and the
// acceptance counters see every lane.
func TestMultiSpinLanesIndependent(t *testing.T) {
	m, err := NewMultiSpin(8, []float64{exact.Tc}, rng(3))
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := 0; i < 200; i++ {
		m.Sweep()
		bonds, _ := m.Measure()
		if bonds[0] == bonds[1] {
			same++
		}
	}
	if same > 60 {
		t.Errorf("lanes 0 and 1 had equal energies in %d of 200 sweeps", same)
	}
	for r := 0; r < Replicas; r++ {
		if a := m.Acceptance(r); !(a > 0.05 && a < 0.5) {
			t.Errorf("lane %d: acceptance %v at Tc", r, a)
		}
	}
}

// Measure agrees with the scalar lattice's bond sum and magnetization.
func TestMultiSpinMeasure(t *testing.T) {
	for _, L := range []int{4, 7} {
		m, err := NewMultiSpin(L, []float64{2, 3}, rng(9))
		if err != nil {
			t.Fatal(err)
		}
		m.Randomize(rng(10))
		m.Sweep()
		bonds, mag := m.Measure()
		lat := NewLattice(L)
		for r := 0; r < Replicas; r++ {
			m.Spins(r, lat.S)
			if bonds[r] != lat.Bonds() || mag[r] != lat.Magnetization() {
				t.Fatalf("L=%d lane %d: bonds %d mag %d, scalar %d %d", L, r, bonds[r], mag[r], lat.Bonds(), lat.Magnetization())
			}
		}
	}
}

func TestMultiSpinErrors(t *testing.T) {
	for _, c := range []struct {
		L     int
		temps []float64
	}{{3, []float64{1}}, {8, nil}, {8, make([]float64, 65)}, {8, []float64{0}}, {8, []float64{math.NaN()}}} {
		if _, err := NewMultiSpin(c.L, c.temps, rng(1)); err == nil {
			t.Errorf("NewMultiSpin(%d, %v): no error", c.L, c.temps)
		}
	}
}

// SampleReplicas stores the requested samples per temperature, spaced by the
// measured τ, with energies that agree with Kaufman's; the same seed gives the
// same samples.
func TestSampleReplicas(t *testing.T) {
	temps := []float64{1.5, exact.Tc, 3.0, 4.0, 2.5}
	const L, samples = 8, 1500
	cfg := Config{L: L, Samples: samples, Equilibrate: 500, Pilot: 500, MinSpacing: 1}
	runs, err := SampleReplicas(context.Background(), cfg, temps, rng(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, run := range runs {
		T := temps[k]
		if len(run.Spins) != samples*L*L || len(run.E) != samples {
			t.Fatalf("T=%v: %d spins, %d energies", T, len(run.Spins), len(run.E))
		}
		if run.Spacing < int(math.Ceil(2*run.PilotTau)) || run.Acceptance <= 0 {
			t.Errorf("T=%v: spacing %d for pilot τ %.2f, acceptance %v", T, run.Spacing, run.PilotTau, run.Acceptance)
		}
		lat := NewLattice(L)
		for s := 0; s < samples; s += 97 {
			copy(lat.S, run.Spins[s*L*L:])
			if e := lat.Energy(0) / (L * L); e != run.E[s] {
				t.Fatalf("T=%v sample %d: stored e %v, spins give %v", T, s, run.E[s], e)
			}
		}
		o := Measure(run.E, run.M, L*L, T, 50)
		want := exact.Energy(L, T)
		if math.Abs(o.E.Value-want) > 4*o.E.Err {
			t.Errorf("T=%v: e = %.5f ± %.5f, exact %.5f", T, o.E.Value, o.E.Err, want)
		}
	}
	again, err := SampleReplicas(context.Background(), cfg, temps, rng(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range runs {
		if !slices.Equal(runs[k].Spins, again[k].Spins) {
			t.Fatalf("T=%v: same seed, different samples", temps[k])
		}
	}
	if _, err := SampleReplicas(context.Background(), Config{L: 8, H: 0.1, Samples: 10}, temps, rng(1), nil); err == nil {
		t.Error("field accepted")
	}
}
