package rbm

import (
	"math"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// handRBM is a 4-visible, 2-hidden ±1 machine with weights chosen by hand.
func handRBM() *RBM {
	r := &RBM{Units: Spin, NV: 4, NH: 2, W: linalg.NewMatrix(4, 2), B: []float32{0.1, -0.2, 0.05, 0.3}, C: []float32{-0.3, 0.4}}
	copy(r.W.Data, []float32{0.5, -0.4, 0.8, 0.2, -0.6, 0.7, 0.3, -0.5})
	return r
}

// One mean-field flow step is v′ = tanh(W·tanh(Wᵀv + c) + b), computed by hand.
func TestFlowStepMeanField(t *testing.T) {
	r := handRBM()
	v0 := []float64{1, -1, 1, 1}
	h := make([]float64, 2)
	for j := range h {
		x := float64(r.C[j])
		for i := range v0 {
			x += v0[i] * float64(r.W.At(i, j))
		}
		h[j] = math.Tanh(x)
	}
	want := make([]float64, 4)
	for i := range want {
		x := float64(r.B[i])
		for j := range h {
			x += h[j] * float64(r.W.At(i, j))
		}
		want[i] = math.Tanh(x)
	}
	data := linalg.NewMatrix(1, 4)
	for i, v := range v0 {
		data.Data[i] = float32(v)
	}
	steps, err := (&Stack{Layers: []*RBM{r}}).Flow(&linalg.Gemm{}, linalg.NewRand(1), data, 1, Mean)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got := float64(steps[1].Data[i]); math.Abs(got-w) > 1e-6 {
			t.Errorf("v′[%d] = %v, by hand %v", i, got, w)
		}
	}
}

// A sampled flow step draws v′ from Σ_h p(h|v) p(v′|h): over 40,000 steps from
// one configuration, the frequencies of the 16 outcomes pass a χ² test against
// the exact distribution computed by enumeration.
func TestFlowStepSampledDistribution(t *testing.T) {
	r := handRBM()
	v0 := []float64{1, -1, 1, 1}
	const n = 40000
	data := linalg.NewMatrix(n, 4)
	for k := 0; k < n; k++ {
		for i, v := range v0 {
			data.Data[k*4+i] = float32(v)
		}
	}
	steps, err := (&Stack{Layers: []*RBM{r}}).Flow(&linalg.Gemm{}, linalg.NewRand(7), data, 1, Sample)
	if err != nil {
		t.Fatal(err)
	}
	var count [16]float64
	for k := 0; k < n; k++ {
		idx := 0
		for i := 0; i < 4; i++ {
			if steps[1].Data[k*4+i] > 0 {
				idx |= 1 << i
			}
		}
		count[idx]++
	}
	sigma2 := func(x float64) float64 { return 1 / (1 + math.Exp(-2*x)) } // P(spin = +1) in a field x
	var want [16]float64
	for hs := 0; hs < 4; hs++ {
		h := []float64{-1, -1}
		ph := 1.0
		for j := range h {
			if hs>>j&1 == 1 {
				h[j] = 1
			}
			x := float64(r.C[j])
			for i := range v0 {
				x += v0[i] * float64(r.W.At(i, j))
			}
			p := sigma2(x)
			if h[j] < 0 {
				p = 1 - p
			}
			ph *= p
		}
		for vs := 0; vs < 16; vs++ {
			pv := 1.0
			for i := 0; i < 4; i++ {
				x := float64(r.B[i])
				for j := range h {
					x += h[j] * float64(r.W.At(i, j))
				}
				p := sigma2(x)
				if vs>>i&1 == 0 {
					p = 1 - p
				}
				pv *= p
			}
			want[vs] += ph * pv
		}
	}
	var chi2 float64
	for i := range want {
		e := want[i] * n
		chi2 += (count[i] - e) * (count[i] - e) / e
	}
	// 15 degrees of freedom: P(χ² > 37.7) = 0.001.
	if chi2 > 37.7 {
		t.Errorf("χ² = %.1f over 16 outcomes (15 degrees of freedom): the sampled step does not follow p(v′|v)", chi2)
	}
}

// A reconstruction through one layer is v′ = tanh(W·tanh(Wᵀv + c) + b), the
// mean-field flow step; through two layers it goes up and down both.
func TestReconstruct(t *testing.T) {
	r := handRBM()
	second := &RBM{Units: Spin, NV: 2, NH: 1, W: linalg.NewMatrix(2, 1), B: []float32{0.2, -0.1}, C: []float32{0.3}}
	copy(second.W.Data, []float32{0.9, -0.7})
	s := &Stack{Layers: []*RBM{r, second}}
	data := linalg.NewMatrix(1, 4)
	copy(data.Data, []float32{1, -1, 1, 1})
	g := &linalg.Gemm{}
	one, err := s.Reconstruct(g, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	flow, _ := s.Flow(g, nil, data, 1, Mean)
	for i := range one.Data {
		if math.Abs(float64(one.Data[i]-flow[1].Data[i])) > 1e-6 {
			t.Errorf("one layer: %v, the mean-field flow step gives %v", one.Data, flow[1].Data)
		}
	}
	// Two layers by hand.
	tanh := func(x float64) float64 { return math.Tanh(x) }
	h1 := make([]float64, 2)
	for j := range h1 {
		x := float64(r.C[j])
		for i, v := range []float64{1, -1, 1, 1} {
			x += v * float64(r.W.At(i, j))
		}
		h1[j] = tanh(x)
	}
	h2 := tanh(float64(second.C[0]) + h1[0]*0.9 - h1[1]*0.7)
	d1 := []float64{tanh(0.2 + 0.9*h2), tanh(-0.1 - 0.7*h2)}
	two, err := s.Reconstruct(g, data, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		x := float64(r.B[i])
		for j := range d1 {
			x += d1[j] * float64(r.W.At(i, j))
		}
		if got := float64(two.Data[i]); math.Abs(got-tanh(x)) > 1e-5 {
			t.Errorf("two layers, site %d: %v, want %v", i, got, tanh(x))
		}
	}
	if _, err := s.Reconstruct(g, data, 3); err == nil {
		t.Error("three layers of a stack of two")
	}
}
