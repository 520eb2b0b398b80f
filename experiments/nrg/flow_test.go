package nrg

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomFlow is a flow whose every parameter is random (the output layers
// too), so that no coupling is the identity.
func randomFlow(t *testing.T, cfg Config, seed uint64) *Flow {
	t.Helper()
	r := newRand(seed)
	f, err := NewFlow(cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Params {
		f.Params[i] = 0.4 * r.NormFloat64()
	}
	return f
}

func TestFlowIsBijective(t *testing.T) {
	for _, cfg := range []Config{{L: 4, Levels: 2, Couplings: 2, Hidden: 5}, {L: 8, Levels: 3, Couplings: 3, Hidden: 4}, {L: 8, Levels: 1, Couplings: 2, Hidden: 3},
		{L: 8, Levels: 2, Couplings: 2, Hidden: 4, Layers: 3, Separate: true}, {L: 4, Levels: 2, Couplings: 3, Hidden: 5, Layers: 1}} {
		f := randomFlow(t, cfg, 1)
		z := Prior(newRand(2), 1, f.N)[0]
		x := append([]float64(nil), z...)
		ld := f.Generate(x)
		back := append([]float64(nil), x...)
		li := f.Infer(back)
		for i := range z {
			if math.Abs(back[i]-z[i]) > 1e-9 {
				t.Fatalf("%+v: z[%d] = %g, g⁻¹(g(z)) = %g", cfg, i, z[i], back[i])
			}
		}
		if math.Abs(ld+li) > 1e-9 {
			t.Errorf("%+v: ln|det| forward %g, inverse %g", cfg, ld, li)
		}
	}
}

// The log-determinant the flow reports is that of its Jacobian.
func TestLogDetMatchesJacobian(t *testing.T) {
	f := randomFlow(t, Config{L: 4, Levels: 2, Couplings: 2, Hidden: 4}, 3)
	z := Prior(newRand(4), 1, f.N)[0]
	x := append([]float64(nil), z...)
	ld := f.Generate(x)
	J := mat.NewDense(f.N, f.N, nil)
	const h = 1e-6
	for j := 0; j < f.N; j++ {
		p, m := append([]float64(nil), z...), append([]float64(nil), z...)
		p[j] += h
		m[j] -= h
		f.Generate(p)
		f.Generate(m)
		for i := 0; i < f.N; i++ {
			J.Set(i, j, (p[i]-m[i])/(2*h))
		}
	}
	var lu mat.LU
	lu.Factorize(J)
	got, _ := lu.LogDet()
	if math.Abs(got-ld) > 1e-5 {
		t.Errorf("ln|det J| = %.8f by finite differences, flow says %.8f", got, ld)
	}
}

// The hand-written reverse-mode gradient of the loss matches central finite
// differences on every parameter of small flows of every network shape: one
// network for s and t or one each, of one to three hidden layers.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	tg, err := NewTarget(4, 2.3)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3},
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Layers: 1},
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Layers: 3},
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Layers: 3, Separate: true},
		{L: 4, Levels: 1, Couplings: 3, Hidden: 2, Layers: 1, Separate: true},
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Symmetric: true},
		{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Layers: 3, Separate: true, Symmetric: true},
	} {
		f := randomFlow(t, cfg, 5)
		z := Prior(newRand(6), 5, f.N)
		grad := make([]float64, len(f.Params))
		f.Loss(tg, z, grad, 2)
		worst := 0.0
		for i := range f.Params {
			const h = 1e-6
			f.Params[i] += h
			lp, _ := f.Loss(tg, z, nil, 1)
			f.Params[i] -= 2 * h
			lm, _ := f.Loss(tg, z, nil, 1)
			f.Params[i] += h
			fd := (lp - lm) / (2 * h)
			if d := math.Abs(fd-grad[i]) / math.Max(1, math.Abs(fd)); d > worst {
				worst = d
			}
			if math.Abs(fd-grad[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("%+v: param %d: gradient %g, finite difference %g", cfg, i, grad[i], fd)
			}
		}
		t.Logf("%+v: %d parameters, largest relative difference %.2g", cfg, len(f.Params), worst)
	}
}

// The gradient and loss are identical for any number of threads.
func TestThreadsIdentical(t *testing.T) {
	tg, _ := NewTarget(4, 2.3)
	for _, sym := range []bool{false, true} {
		f := randomFlow(t, Config{L: 4, Levels: 2, Couplings: 2, Hidden: 3, Layers: 3, Separate: true, Symmetric: sym}, 7)
		z := Prior(newRand(8), 70, f.N)
		g1, g3 := make([]float64, len(f.Params)), make([]float64, len(f.Params))
		l1, _ := f.Loss(tg, z, g1, 1)
		l3, _ := f.Loss(tg, z, g3, 3)
		if l1 != l3 {
			t.Fatalf("symmetric %v: loss %v vs %v", sym, l1, l3)
		}
		for i := range g1 {
			if g1[i] != g3[i] {
				t.Fatalf("symmetric %v: gradient %d: %v vs %v", sym, i, g1[i], g3[i])
			}
		}
	}
}

// A symmetric flow's density is ½[q(x) + q(−x)]: Sample reports the same
// density at x and −x, Loss averages ln q_s − ln π over its samples, and
// q(−x)/q(x), whose mean over x ~ q is ∫ q(−x) dx = 1, shows that the
// inverse pass's density at −x is normalized.
func TestSymmetricDensity(t *testing.T) {
	tg, _ := NewTarget(4, 2.3)
	cfg := Config{L: 4, Levels: 2, Couplings: 2, Hidden: 4, Symmetric: true}
	f := randomFlow(t, cfg, 21)
	for i := range f.Params {
		f.Params[i] *= 0.25 // milder than randomFlow's, for the ratio's variance
	}
	plain, err := NewFlow(Config{L: 4, Levels: 2, Couplings: 2, Hidden: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	copy(plain.Params, f.Params)
	zs := Prior(newRand(22), 10000, f.N)
	var ratios []float64
	var lossSum float64
	for _, z := range zs {
		x, xm := append([]float64(nil), z...), append([]float64(nil), z...)
		lnqs, lnqsm := f.Sample(x, false), f.Sample(xm, true)
		for i := range x {
			if xm[i] != -x[i] {
				t.Fatalf("flipped sample is not −x")
			}
		}
		if math.Abs(lnqs-lnqsm) > 1e-12 {
			t.Fatalf("ln q_s(x) = %v, ln q_s(−x) = %v", lnqs, lnqsm)
		}
		// q(x) and q(−x) of the plain flow, by its inverse.
		y := append([]float64(nil), x...)
		lnq := LogNormal(z) - plain.Generate(append([]float64(nil), z...))
		for i := range y {
			y[i] = -y[i]
		}
		ld := plain.Infer(y)
		lnqm := LogNormal(y) + ld
		want := math.Log((math.Exp(lnq) + math.Exp(lnqm)) / 2)
		if math.Abs(lnqs-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("ln q_s = %v, ln ½[q(x) + q(−x)] = %v", lnqs, want)
		}
		ratios = append(ratios, math.Exp(lnqm-lnq))
		lossSum += lnqs + tg.Energy(x, nil)
	}
	loss, _ := f.Loss(tg, zs, nil, 2)
	if math.Abs(loss-lossSum/float64(len(zs))) > 1e-9*math.Abs(loss) {
		t.Errorf("Loss %v, mean of ln q_s − ln π by Sample %v", loss, lossSum/float64(len(zs)))
	}
	var m, m2 float64
	for _, r := range ratios {
		m += r
		m2 += r * r
	}
	n := float64(len(ratios))
	m /= n
	se := math.Sqrt((m2/n - m*m) / n)
	var spread float64
	for _, r := range ratios {
		spread += math.Log(r) * math.Log(r) / n
	}
	t.Logf("mean q(−x)/q(x) = %.4f ± %.4f, rms of its logarithm %.3f", m, se, math.Sqrt(spread))
	if math.Sqrt(spread) < 0.5 {
		t.Fatalf("the flow is nearly symmetric (rms ln q(−x)/q(x) = %.3f): the test cannot fail", math.Sqrt(spread))
	}
	if math.Abs(m-1) > 4*se || se > 0.05 {
		t.Errorf("mean q(−x)/q(x) = %.4f ± %.4f, want 1", m, se)
	}
}

// Training at L = 4 brings the variational free energy close to the exact
// −ln Z from above, never below it beyond the noise.
func TestTrainingApproachesExactBound(t *testing.T) {
	tg, err := NewTarget(4, 2.269185314213022)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFlow(Config{L: 4, Levels: 2, Couplings: 4, Hidden: 10}, newRand(9))
	if err != nil {
		t.Fatal(err)
	}
	r := newRand(10)
	hist, err := Train(context.Background(), f, tg, TrainConfig{Epochs: 700, Batch: 128, LR: 3e-3, Threads: func() int { return 2 }}, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	exact := -tg.LogZ()
	final, se := f.Loss(tg, Prior(r, 8192, f.N), nil, 2)
	rel := (final - exact) / math.Abs(exact)
	t.Logf("first epoch %.3f, final %.4f ± %.4f, exact %.4f, relative error %.2g", hist[0].Loss, final, se, exact, rel)
	if final < exact-4*se {
		t.Errorf("the bound is violated: %.4f ± %.4f below −ln Z = %.4f", final, se, exact)
	}
	if rel > 0.035 || hist[0].Loss-exact < 5*(final-exact) {
		t.Errorf("training did not approach the bound: first %.3f, final %.4f, exact %.4f", hist[0].Loss, final, exact)
	}
}

// At the identity flow ∂z/∂x is the unit matrix; for a trained-like flow a
// coarse latent depends on more sites than a fine one.
func TestJacobian(t *testing.T) {
	f, err := NewFlow(Config{L: 4, Levels: 2, Couplings: 2, Hidden: 3}, newRand(11))
	if err != nil {
		t.Fatal(err)
	}
	x := Prior(newRand(12), 1, f.N)[0]
	J := f.Jacobian(x)
	for j := 0; j < f.N; j++ {
		for i := 0; i < f.N; i++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(J[j*f.N+i]-want) > 1e-8 {
				t.Fatalf("identity flow: ∂z_%d/∂x_%d = %g", j, i, J[j*f.N+i])
			}
		}
	}
	f = randomFlow(t, Config{L: 8, Levels: 3, Couplings: 2, Hidden: 4}, 13)
	x = Prior(newRand(14), 1, f.N)[0]
	J = f.Jacobian(x)
	support := func(j int) int {
		n := 0
		for i := 0; i < f.N; i++ {
			if math.Abs(J[j*f.N+i]) > 1e-9 {
				n++
			}
		}
		return n
	}
	lat := f.Latents()
	if fine, top := support(lat[0][0]), support(lat[2][0]); top <= fine {
		t.Errorf("a top-level latent depends on %d sites, a level-0 one on %d", top, fine)
	}
}
