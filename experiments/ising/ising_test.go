package ising

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/mcstat"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// For L = 4, 8, 16, 32 at T = 1.5, Tc and 3.0, each sampler's mean energy lies
// within 4 standard errors (from τ_int) of Kaufman's exact value.
func TestEnergyMatchesKaufman(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	for _, alg := range []string{AlgMetropolis, AlgWolff} {
		for _, L := range []int{4, 8, 16, 32} {
			for _, T := range []float64{1.5, exact.Tc, 3.0} {
				name := fmt.Sprintf("%s/L=%d/T=%.3f", alg, L, T)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					sweeps := 20000
					run, err := Sample(context.Background(), Config{L: L, T: T, Algorithm: alg, Samples: sweeps, Equilibrate: 1000, Pilot: 1000, MinSpacing: 1},
						rng(uint64(L)*1000+uint64(T*100)), nil)
					if err != nil {
						t.Fatal(err)
					}
					// Use every sweep of the production run, with its own τ.
					tau := mcstat.IntegratedTime(run.SeriesE, 6)
					mean, se := mcstat.MeanErr(run.SeriesE, tau.Tau)
					want := exact.Energy(L, T)
					if math.Abs(mean-want) > 4*se {
						t.Errorf("e = %.6f ± %.6f (τ=%.2f), exact %.6f: %.1fσ off", mean, se, tau.Tau, want, math.Abs(mean-want)/se)
					}
				})
			}
		}
	}
}

// The Binder cumulant at Tc for L = 32 is within 0.01 of its L → ∞ value 0.61069.
func TestBinderAtTc(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	run, err := Sample(context.Background(), Config{L: 32, T: exact.Tc, Algorithm: AlgWolff, Samples: 40000, Equilibrate: 500, Pilot: 500, MinSpacing: 1}, rng(5), nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := Measure(run.E, run.M, 32*32, exact.Tc, 100)
	if math.Abs(obs.U4.Value-0.61069) > 0.01 || obs.U4.Err > 0.004 {
		t.Errorf("U4 = %.4f ± %.4f, want 0.611 ± 0.01", obs.U4.Value, obs.U4.Err)
	}
}

// On 2×2 and 3×3 lattices, the sampled energy histogram matches the exact
// Boltzmann weights g(E)e^{−βE} (χ² test).
func TestEnergyHistogram(t *testing.T) {
	for _, alg := range []string{AlgMetropolis, AlgWolff} {
		for _, L := range []int{2, 3} {
			for _, T := range []float64{1.0, exact.Tc, 4.0} {
				t.Run(fmt.Sprintf("%s/L=%d/T=%.2f", alg, L, T), func(t *testing.T) {
					levels := exact.EnergyLevels(L)
					var energies []int
					for E := range levels {
						energies = append(energies, E)
					}
					sort.Ints(energies)
					var z float64
					p := map[int]float64{}
					for _, E := range energies {
						p[E] = levels[E] * math.Exp(-float64(E)/T)
						z += p[E]
					}
					const n = 20000
					run, err := Sample(context.Background(), Config{L: L, T: T, Algorithm: alg, Samples: n, Equilibrate: 100, Pilot: 2000, MinSpacing: 2, Start: "random"}, rng(uint64(L)+uint64(T*10)), nil)
					if err != nil {
						t.Fatal(err)
					}
					counts := map[int]float64{}
					for _, e := range run.E {
						counts[int(math.Round(e*float64(L*L)))]++
					}
					// Pool levels with expected counts below 5 into their neighbour.
					var chi2 float64
					dof := -1
					var obs, exp float64
					for _, E := range energies {
						obs += counts[E]
						exp += n * p[E] / z
						if exp >= 5 {
							chi2 += (obs - exp) * (obs - exp) / exp
							dof++
							obs, exp = 0, 0
						}
					}
					if exp > 0 {
						chi2 += (obs - exp) * (obs - exp) / math.Max(exp, 1e-9)
					}
					if dof < 1 {
						t.Skipf("too few levels for a χ² test")
					}
					pval := distuv.ChiSquared{K: float64(dof)}.Survival(chi2)
					if pval < 1e-3 {
						t.Errorf("χ² = %.1f with %d dof (p = %.2g): histogram %v does not match the exact weights", chi2, dof, pval, counts)
					}
				})
			}
		}
	}
}

// Same seed, same samples.
func TestDeterministic(t *testing.T) {
	cfg := Config{L: 9, T: 2.5, Algorithm: AlgWolff, Samples: 20, Equilibrate: 10, Pilot: 100}
	a, _ := Sample(context.Background(), cfg, rng(1), nil)
	b, _ := Sample(context.Background(), cfg, rng(1), nil)
	c, _ := Sample(context.Background(), cfg, rng(2), nil)
	if fmt.Sprint(a.Spins) != fmt.Sprint(b.Spins) {
		t.Error("same seed gave different spins")
	}
	if fmt.Sprint(a.Spins) == fmt.Sprint(c.Spins) {
		t.Error("different seeds gave the same spins")
	}
}

func TestFieldAlignsSpins(t *testing.T) {
	for _, alg := range []string{AlgMetropolis, AlgWolff} {
		run, err := Sample(context.Background(), Config{L: 8, T: 3, H: 0.5, Algorithm: alg, Samples: 2000, Equilibrate: 200, Pilot: 500}, rng(3), nil)
		if err != nil {
			t.Fatal(err)
		}
		var m float64
		for _, v := range run.M {
			m += v
		}
		m /= float64(len(run.M))
		if m < 0.3 {
			t.Errorf("%s: ⟨m⟩ = %v in field h = 0.5 at T = 3", alg, m)
		}
	}
}
