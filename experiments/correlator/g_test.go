package correlator

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/pattern"
)

// bruteG enumerates every ordered pair of sites.
func bruteG(panels []float64, L int) map[int]float64 {
	sum := map[int]float64{}
	cnt := map[int]float64{}
	n := len(panels) / (L * L)
	for p := 0; p < n; p++ {
		c := panels[p*L*L:]
		for i := 0; i < L*L; i++ {
			for j := 0; j < L*L; j++ {
				dx := abs(i%L - j%L)
				dy := abs(i/L - j/L)
				dx, dy = min(dx, L-dx), min(dy, L-dy)
				r2 := dx*dx + dy*dy
				sum[r2] += c[i] * c[j]
				if p == 0 {
					cnt[r2]++
				}
			}
		}
	}
	for k := range sum {
		sum[k] /= cnt[k]
	}
	return sum
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestPanelGMatchesPairEnumeration(t *testing.T) {
	for _, L := range []int{1, 2, 5, 6, 9} {
		rng := rand.New(rand.NewPCG(1, uint64(L)))
		panels, _ := pattern.WhiteNoise(rng, 3, L, pattern.Normal)
		c, err := PanelG(panels, L, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteG(panels, L)
		if len(c.R) != len(want) {
			t.Fatalf("L=%d: %d distances, want %d", L, len(c.R), len(want))
		}
		for i, r := range c.R {
			w := want[int(math.Round(r*r))]
			if math.Abs(c.G[i]-w) > 1e-9*(1+math.Abs(w)) {
				t.Errorf("L=%d r=%.3f: G=%.12g, want %.12g", L, r, c.G[i], w)
			}
		}
	}
}

func TestPanelGKnownPanels(t *testing.T) {
	const L = 8
	tests := []struct {
		name  string
		panel []float64
		want  func(r2 int) float64
	}{
		{"constant", constant(L, -2), func(int) float64 { return 4 }},
		// Alternating ±1 sites: C(i)C(j) = (-1)^(dx+dy), and dx+dy ≡ dx²+dy² (mod 2).
		{"checkerboard-1", pattern.Checkerboard(L, 1), func(r2 int) float64 {
			if r2%2 == 0 {
				return 1
			}
			return -1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := PanelG(tt.panel, L, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range c.R {
				want := tt.want(int(math.Round(r * r)))
				if math.Abs(c.G[i]-want) > 1e-12 {
					t.Errorf("r=%.3f: G=%g, want %g", r, c.G[i], want)
				}
			}
		})
	}
}

func TestPanelGSumsOverPanels(t *testing.T) {
	const L = 6
	a := pattern.Checkerboard(L, 1)
	b := constant(L, 1)
	ga, _ := PanelG(a, L, 0)
	gb, _ := PanelG(b, L, 0)
	gab, _ := PanelG(append(append([]float64{}, a...), b...), L, 0)
	for i := range gab.G {
		if math.Abs(gab.G[i]-(ga.G[i]+gb.G[i])) > 1e-12 {
			t.Fatalf("r=%g: sum %g, want %g", gab.R[i], gab.G[i], ga.G[i]+gb.G[i])
		}
	}
}

func TestPanelGPairCounts(t *testing.T) {
	const L = 6
	c, _ := PanelG(constant(L, 1), L, 0)
	total := 0
	for _, p := range c.Pairs {
		total += p
	}
	if total != L*L*L*L {
		t.Fatalf("pairs sum to %d, want %d", total, L*L*L*L)
	}
	if c.R[0] != 0 || c.Pairs[0] != L*L {
		t.Fatalf("r=0 has %d pairs", c.Pairs[0])
	}
}

func TestPanelGBadShape(t *testing.T) {
	if _, err := PanelG(make([]float64, 10), 3, 0); err == nil {
		t.Fatal("want error for 10 values as 3×3 panels")
	}
}

func constant(L int, v float64) []float64 {
	out := make([]float64, L*L)
	for i := range out {
		out[i] = v
	}
	return out
}

// Binned G is the pair-weighted mean of the exact-distance G within each bin.
func TestPanelGBinned(t *testing.T) {
	const L = 12
	rng := rand.New(rand.NewPCG(3, 3))
	panels, _ := pattern.WhiteNoise(rng, 2, L, pattern.Normal)
	exact, _ := PanelG(panels, L, 0)
	binned, err := PanelG(panels, L, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range binned.R {
		var g, rs, n float64
		for j, re := range exact.R {
			if math.Floor(re+0.5) == math.Floor(r+0.5) {
				w := float64(exact.Pairs[j])
				g += w * exact.G[j]
				rs += w * re
				n += w
			}
		}
		if math.Abs(binned.G[i]-g/n) > 1e-12 || math.Abs(r-rs/n) > 1e-12 || float64(binned.Pairs[i]) != n {
			t.Errorf("bin %d: got r=%g G=%g pairs=%d, want r=%g G=%g pairs=%g", i, r, binned.G[i], binned.Pairs[i], rs/n, g/n, n)
		}
	}
	if len(binned.R) != 9 { // bins 0..8: the largest periodic distance is 6√2 ≈ 8.49
		t.Errorf("%d bins, want 9", len(binned.R))
	}
}
