package series

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestRanks(t *testing.T) {
	got := Ranks([]float64{10, 30, 20, 20})
	want := []float64{1, 4, 2.5, 2.5}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Ranks = %v, want %v", got, want)
	}
}

func TestSpearman(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	// Monotone but nonlinear: ρ = 1.
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v)
	}
	if rho, p, _ := Spearman(x, y); rho != 1 || p != 0 {
		t.Errorf("monotone: rho=%v p=%v", rho, p)
	}
	// Textbook example (n=10, Σd²=52): ρ = 1 − 6·52/(10·99) = 0.68485.
	a := []float64{86, 97, 99, 100, 101, 103, 106, 110, 112, 113}
	b := []float64{0, 20, 28, 27, 50, 29, 7, 17, 6, 12}
	rho, p, _ := Spearman(a, b)
	if math.Abs(rho-(-0.17575757575)) > 1e-9 {
		t.Errorf("rho = %v, want -0.175758", rho)
	}
	if math.Abs(p-0.6272) > 1e-3 { // scipy.stats.spearmanr gives p = 0.627188
		t.Errorf("p = %v, want 0.6272", p)
	}
}

// Under independence the p-value is uniform: about 5% of trials fall below 0.05.
func TestSpearmanNullCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const trials, n = 2000, 50
	reject := 0
	x := make([]float64, n)
	y := make([]float64, n)
	for tr := 0; tr < trials; tr++ {
		for i := range x {
			x[i], y[i] = float64(i), rng.NormFloat64()
		}
		if _, p, _ := Spearman(x, y); p < 0.05 {
			reject++
		}
	}
	// Binomial(2000, 0.05): mean 100, sd 9.7.
	if reject < 65 || reject > 135 {
		t.Fatalf("%d of %d null trials rejected at 5%%", reject, trials)
	}
}

func TestLinearFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, trueSlope, sigma = 200, -0.3, 0.5
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i) / 10
		y[i] = 2 + trueSlope*x[i] + sigma*rng.NormFloat64()
	}
	b, a, se, err := LinearFit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// Analytic standard error: σ/√Sxx with Sxx = Σ(x−x̄)².
	var sxx float64
	for _, v := range x {
		sxx += (v - 9.95) * (v - 9.95)
	}
	if wantSE := sigma / math.Sqrt(sxx); math.Abs(se-wantSE)/wantSE > 0.15 {
		t.Errorf("se = %v, want about %v", se, wantSE)
	}
	if math.Abs(b-trueSlope) > 4*se || math.Abs(a-2) > 0.5 {
		t.Errorf("fit b=%v a=%v, want %v and 2", b, a, trueSlope)
	}
}

func TestPeaks(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		min  float64
		want []int
	}{
		{"decreasing", []float64{5, 4, 3, 2, 1}, 0.1, []int{0}},
		{"two peaks", []float64{0, 3, 1, 2, 0}, 0.5, []int{1, 3}},
		{"small bump filtered", []float64{0, 3, 1.9, 2, 0}, 0.5, []int{1}},
		{"plateau once", []float64{0, 2, 2, 0}, 0.5, []int{1}},
		{"flat", []float64{1, 1, 1}, 0.1, nil},
		{"end rise", []float64{3, 0, 1}, 0.5, []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Peaks(tt.y, tt.min)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Peaks(%v) = %v, want %v", tt.y, got, tt.want)
			}
		})
	}
}
