package correlator

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bump is a Gaussian of width w centred on (cx, cy), periodic.
func bump(L int, cx, cy, w, amp float64, dst []float64) {
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			dx := math.Min(math.Abs(float64(x)-cx), float64(L)-math.Abs(float64(x)-cx))
			dy := math.Min(math.Abs(float64(y)-cy), float64(L)-math.Abs(float64(y)-cy))
			dst[y*L+x] += amp * math.Exp(-(dx*dx+dy*dy)/(2*w*w))
		}
	}
}

func TestPanelLocality(t *testing.T) {
	const L = 32
	rng := rand.New(rand.NewPCG(11, 12))
	phases, err := NewPhases(L, 20, rng)
	if err != nil {
		t.Fatal(err)
	}
	one := make([]float64, L*L)
	bump(L, 10, 20, 1.5, 1, one)
	corner := make([]float64, L*L) // a patch across the periodic edges
	bump(L, 0, 0, 1.5, -1, corner)
	two := make([]float64, L*L)
	bump(L, 5, 5, 1.2, 1, two)
	bump(L, 21, 21, 1.2, -0.9, two)
	lifted := make([]float64, L*L) // the bump on a bright background
	for i := range lifted {
		lifted[i] = 0.6 + one[i]
	}
	noise := make([]float64, L*L)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	smooth := make([]float64, L*L) // a smooth random field: many soft blobs, no single patch
	for k := 0; k < 40; k++ {
		bump(L, rng.Float64()*L, rng.Float64()*L, 2, rng.NormFloat64(), smooth)
	}
	for _, tc := range []struct {
		name               string
		panel              []float64
		patches            int
		minRatio, maxRatio float64
		peak               [2]int
	}{
		{"one patch", one, 1, 5, math.Inf(1), [2]int{10, 20}},
		{"across the edges", corner, 1, 5, math.Inf(1), [2]int{0, 0}},
		{"on a background", lifted, 1, 5, math.Inf(1), [2]int{10, 20}},
		{"two patches", two, 2, 4, math.Inf(1), [2]int{5, 5}},
		{"noise", noise, 0, 0.5, 2, [2]int{-1, -1}},
		{"smooth noise", smooth, -1, 0.5, 2, [2]int{-1, -1}},
	} {
		loc, err := PanelLocality(tc.panel, L, 2, 0.5, phases)
		if err != nil {
			t.Fatal(tc.name, err)
		}
		if r := loc.Ratio(); r < tc.minRatio || r > tc.maxRatio {
			t.Errorf("%s: share %.3f over surrogate %.3f = %.2f, want in [%g, %g]", tc.name, loc.Share, loc.Surrogate, r, tc.minRatio, tc.maxRatio)
		}
		if tc.patches > 0 && loc.Patches != tc.patches {
			t.Errorf("%s: %d patches, want %d", tc.name, loc.Patches, tc.patches)
		}
		t.Logf("%s: ratio %.2f, %d patches", tc.name, loc.Ratio(), loc.Patches)
		if tc.patches == 0 && loc.Patches < 5 {
			t.Errorf("%s: %d patches; noise above half its peak is scattered", tc.name, loc.Patches)
		}
		if tc.peak[0] >= 0 && (loc.PeakX != tc.peak[0] || loc.PeakY != tc.peak[1]) {
			t.Errorf("%s: peak (%d, %d), want %v", tc.name, loc.PeakX, loc.PeakY, tc.peak)
		}
	}
	if _, err := PanelLocality(make([]float64, L*L), L, 2, 0.5, phases); err == nil {
		t.Error("a zero panel has no locality")
	}
	if _, err := PanelLocality(one[:L], L, 2, 0.5, phases); err == nil {
		t.Error("a short panel was accepted")
	}
}

func TestNeighbourhood(t *testing.T) {
	for _, tc := range []struct {
		L    int
		r    float64
		want int
	}{{32, 0, 1}, {32, 1, 5}, {32, 2, 13}, {4, 10, 16}} {
		if got := len(neighbourhood(tc.L, tc.r)); got != tc.want {
			t.Errorf("L=%d r=%g: %d sites, want %d", tc.L, tc.r, got, tc.want)
		}
	}
}
