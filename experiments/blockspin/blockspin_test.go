package blockspin

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCoarsenHandMade(t *testing.T) {
	// One 4×4 lattice: blocks (top-left clockwise) all up, 3 up, 2–2 tie, all down.
	src := []float32{
		1, 1, 1, 1,
		1, 1, -1, 1,
		1, -1, -1, -1,
		-1, 1, -1, -1,
	}
	for _, tc := range []struct {
		rule Rule
		want []float32
	}{
		{Average, []float32{1, 0.5, 0, -1}},
		{Majority, []float32{1, 1, 0, -1}}, // 0: a tie, checked below
	} {
		got, l, err := Coarsen(src, 1, 4, 1, tc.rule, rand.New(rand.NewPCG(1, 2)))
		if err != nil || l != 2 {
			t.Fatalf("%s: side %d, %v", tc.rule, l, err)
		}
		for i, w := range tc.want {
			if tc.rule == Majority && w == 0 {
				if got[i] != 1 && got[i] != -1 {
					t.Errorf("majority tie gave %v, want ±1", got[i])
				}
				continue
			}
			if got[i] != w {
				t.Errorf("%s: site %d = %v, want %v (all %v)", tc.rule, i, got[i], w, got)
			}
		}
	}
}

// Two average steps are one 4×4 block average; the mean is kept.
func TestCoarsenTwoStepsIsFourByFour(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, L = 3, 8
	src := make([]float32, n*L*L)
	for i := range src {
		src[i] = float32(2*rng.IntN(2) - 1)
	}
	got, l, err := Coarsen(src, n, L, 2, Average, nil)
	if err != nil || l != 2 {
		t.Fatal(l, err)
	}
	for s := 0; s < n; s++ {
		for by := 0; by < 2; by++ {
			for bx := 0; bx < 2; bx++ {
				var sum float32
				for y := 4 * by; y < 4*by+4; y++ {
					for x := 4 * bx; x < 4*bx+4; x++ {
						sum += src[s*L*L+y*L+x]
					}
				}
				if g := got[s*4+by*2+bx]; math.Abs(float64(g-sum/16)) > 1e-6 {
					t.Errorf("lattice %d block (%d,%d): %v, want %v", s, bx, by, g, sum/16)
				}
			}
		}
	}
}

// Majority ties go either way about equally often.
func TestMajorityTiesAreFair(t *testing.T) {
	const n = 4000
	src := make([]float32, 0, 4*n)
	for i := 0; i < n; i++ {
		src = append(src, 1, -1, -1, 1) // a 2×2 lattice with a tie
	}
	got, _, err := Coarsen(src, n, 2, 1, Majority, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	up := 0
	for _, v := range got {
		if v == 1 {
			up++
		}
	}
	// Binomial(4000, 1/2): sd ≈ 32; 5 sd.
	if math.Abs(float64(up)-n/2) > 160 {
		t.Errorf("%d of %d ties up", up, n)
	}
}

func TestCoarsenErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		n, L, steps, have int
		rule              Rule
	}{
		"odd side":         {1, 5, 1, 25, Average},
		"odd after one":    {1, 6, 2, 36, Average},
		"wrong length":     {2, 4, 1, 16, Average},
		"unknown rule":     {1, 4, 1, 16, "median"},
		"coarsened to 1×1": {1, 2, 2, 4, Majority},
	} {
		src := make([]float32, tc.have)
		if _, _, err := Coarsen(src, tc.n, tc.L, tc.steps, tc.rule, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	got, l, _ := Coarsen([]float32{1, 2, 3, 4}, 1, 2, 0, Average, nil)
	if l != 2 || !slices.Equal(got, []float32{1, 2, 3, 4}) {
		t.Errorf("zero steps: %v, %d", got, l)
	}
}
