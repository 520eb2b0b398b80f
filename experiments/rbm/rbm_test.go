package rbm

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// states returns every configuration of n units in the convention u.
func states(n int, u Units) [][]float32 {
	var out [][]float32
	for s := 0; s < 1<<n; s++ {
		c := make([]float32, n)
		for i := range c {
			c[i] = u.low()
			if s>>i&1 == 1 {
				c[i] = 1
			}
		}
		out = append(out, c)
	}
	return out
}

func energy(r *RBM, v, h []float32) float64 {
	var e float64
	for i := range v {
		e -= float64(r.B[i]) * float64(v[i])
		for j := range h {
			e -= float64(v[i]) * float64(r.W.At(i, j)) * float64(h[j])
		}
	}
	for j := range h {
		e -= float64(r.C[j]) * float64(h[j])
	}
	return e
}

// exactLL returns the mean log-likelihood of data under r, by enumeration.
func exactLL(r *RBM, data [][]float32) float64 {
	hs := states(r.NH, r.Units)
	logsum := func(v []float32) float64 { // log Σ_h e^{−E(v,h)}
		var s float64
		for _, h := range hs {
			s += math.Exp(-energy(r, v, h))
		}
		return math.Log(s)
	}
	var z float64
	for _, v := range states(r.NV, r.Units) {
		z += math.Exp(logsum(v))
	}
	var ll float64
	for _, v := range data {
		ll += logsum(v) - math.Log(z)
	}
	return ll / float64(len(data))
}

func matrix(rows [][]float32) linalg.Matrix {
	m := linalg.NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(m.Row(i), r)
	}
	return m
}

func machine(nv, nh int, u Units, std float64, seed uint64) *Machine {
	r := linalg.NewRand(seed)
	m := &Machine{RBM: New(nv, nh, u, std, r), Gemm: &linalg.Gemm{}, Rand: r}
	for i := range m.B {
		m.B[i] = float32(0.3 * r.Normal())
	}
	for j := range m.C {
		m.C[j] = float32(0.3 * r.Normal())
	}
	return m
}

// Free energies and hidden conditionals agree with brute-force sums.
func TestFreeEnergyAndConditionalsMatchEnumeration(t *testing.T) {
	for _, u := range []Units{Spin, Binary} {
		m := machine(5, 3, u, 0.8, 1)
		vs := states(5, u)
		f := m.FreeEnergy(matrix(vs))
		mean := linalg.NewMatrix(len(vs), 3)
		m.Hidden(matrix(vs), mean, linalg.Matrix{})
		vmean := linalg.NewMatrix(len(states(3, u)), 5)
		m.Visible(matrix(states(3, u)), vmean, linalg.Matrix{})
		for i, v := range vs {
			var z float64
			hm := make([]float64, 3)
			for _, h := range states(3, u) {
				w := math.Exp(-energy(m.RBM, v, h))
				z += w
				for j := range hm {
					hm[j] += w * float64(h[j])
				}
			}
			if d := math.Abs(f[i] + math.Log(z)); d > 1e-5 {
				t.Fatalf("%s: F(v%d) = %v, enumeration %v", u, i, f[i], -math.Log(z))
			}
			for j := range hm {
				if d := math.Abs(float64(mean.At(i, j)) - hm[j]/z); d > 1e-6 {
					t.Fatalf("%s: ⟨h%d|v%d⟩ = %v, enumeration %v", u, j, i, mean.At(i, j), hm[j]/z)
				}
			}
		}
		// ⟨v|h⟩ by enumeration over v for each h.
		for k, h := range states(3, u) {
			var z float64
			vm := make([]float64, 5)
			for _, v := range vs {
				w := math.Exp(-energy(m.RBM, v, h))
				z += w
				for i := range vm {
					vm[i] += w * float64(v[i])
				}
			}
			for i := range vm {
				if d := math.Abs(float64(vmean.At(k, i)) - vm[i]/z); d > 1e-6 {
					t.Fatalf("%s: ⟨v%d|h%d⟩ = %v, enumeration %v", u, i, k, vmean.At(k, i), vm[i]/z)
				}
			}
		}
	}
}

// data6 draws n samples of 6 units from a known distribution: one of two
// patterns, each unit flipped with probability 0.1.
func data6(n int, u Units, r *linalg.Rand) [][]float32 {
	patterns := [2][6]float32{{1, 1, 1, 0, 0, 0}, {0, 1, 0, 1, 0, 1}}
	var out [][]float32
	for i := 0; i < n; i++ {
		p := patterns[r.Uint64()%2]
		v := make([]float32, 6)
		for j := range v {
			x := p[j]
			if r.Uint64()%10 == 0 {
				x = 1 - x
			}
			if u == Spin {
				x = 2*x - 1
			}
			v[j] = x
		}
		out = append(out, v)
	}
	return out
}

// Training raises the exact log-likelihood of the data, for CD-1 and PCD in
// both conventions, in float32 and with bfloat16 products.
func TestTrainingRaisesLikelihood(t *testing.T) {
	for _, c := range []struct {
		u          Units
		persistent bool
		bf16       bool
	}{{Spin, false, false}, {Spin, true, false}, {Binary, false, false}, {Binary, true, false}, {Spin, false, true}, {Binary, true, true}} {
		u, persistent := c.u, c.persistent
		r := linalg.NewRand(7)
		rows := data6(500, u, r)
		cfg := Config{Hidden: 3, Units: u, Epochs: 60, Batch: 20, LR: 0.05, Momentum: 0.5, K: 1, Persistent: persistent, InitStd: 0.01, Monitor: 100}
		tr := &Trainer{Config: cfg, Gemm: &linalg.Gemm{BF16: c.bf16}, Rand: r}
		m, curve, err := tr.Train(context.Background(), matrix(rows), matrix(rows[:100]), nil)
		if err != nil {
			t.Fatal(err)
		}
		// The untrained machine: small weights, visible biases at the log-odds.
		cfg.Epochs = 1
		cfg.LR = 1e-12
		m0, _, _ := (&Trainer{Config: cfg, Gemm: &linalg.Gemm{}, Rand: linalg.NewRand(1)}).Train(context.Background(), matrix(rows), linalg.Matrix{}, nil)
		before, after := exactLL(m0, rows), exactLL(m, rows)
		// The generating distribution's own entropy bounds the LL: a good
		// fit gains clearly over independent units.
		if after < before+0.3 {
			t.Errorf("%s persistent=%v bf16=%v: LL %.3f before, %.3f after", u, persistent, c.bf16, before, after)
		}
		if len(curve) != 60 || curve[59].Recon >= curve[0].Recon || math.IsNaN(curve[59].FreeEnergyGap) {
			t.Errorf("%s persistent=%v: curve %+v … %+v", u, persistent, curve[0], curve[len(curve)-1])
		}
	}
}

// exactGradW returns ∂(mean LL)/∂W exactly: ⟨v⟨h|v⟩ᵀ⟩_data − ⟨v hᵀ⟩_model.
func exactGradW(m *Machine, data [][]float32) []float64 {
	nv, nh := m.NV, m.NH
	g := make([]float64, nv*nh)
	hm := linalg.NewMatrix(len(data), nh)
	m.Hidden(matrix(data), hm, linalg.Matrix{})
	for n, v := range data {
		for i := 0; i < nv; i++ {
			for j := 0; j < nh; j++ {
				g[i*nh+j] += float64(v[i]) * float64(hm.At(n, j)) / float64(len(data))
			}
		}
	}
	var z float64
	model := make([]float64, nv*nh)
	for _, v := range states(nv, m.Units) {
		for _, h := range states(nh, m.Units) {
			w := math.Exp(-energy(m.RBM, v, h))
			z += w
			for i := 0; i < nv; i++ {
				for j := 0; j < nh; j++ {
					model[i*nh+j] += w * float64(v[i]) * float64(h[j])
				}
			}
		}
	}
	for i := range g {
		g[i] -= model[i] / z
	}
	return g
}

// The CD-k gradient, averaged over many chains, approaches the exact gradient
// as k grows, in float32 and with bfloat16 products.
func TestCDApproachesExactGradient(t *testing.T) {
	for _, c := range []struct {
		u    Units
		bf16 bool
	}{{Spin, false}, {Binary, false}, {Spin, true}, {Binary, true}} {
		u := c.u
		m := machine(6, 3, u, 2.0, 3)
		m.Gemm.BF16 = c.bf16
		data := data6(200, u, linalg.NewRand(4))
		exact := exactGradW(m, data)
		errFor := func(k int) float64 {
			st := newState(len(data), 6, 3)
			g := newVelocity(6, 3)
			sum := make([]float64, len(exact))
			const reps = 200
			for rep := 0; rep < reps; rep++ {
				copy(st.v0.Data, matrix(data).Data)
				m.gradient(st, k, linalg.Matrix{}, 1, 0, g)
				for i, g := range g.W.Data {
					sum[i] += float64(g) / reps
				}
			}
			var d float64
			for i := range sum {
				d += (sum[i] - exact[i]) * (sum[i] - exact[i])
			}
			return math.Sqrt(d)
		}
		e1, e5, e50 := errFor(1), errFor(5), errFor(50)
		t.Logf("%s bf16=%v: %.4f %.4f %.4f", u, c.bf16, e1, e5, e50)
		if !(e50 < e5 && e5 < e1 && e50 < 0.35*e1) {
			t.Errorf("%s bf16=%v: |CD-k − exact| = %.4f (k=1), %.4f (k=5), %.4f (k=50)", u, c.bf16, e1, e5, e50)
		}
	}
}

// A model survives Marshal/Unmarshal; damaged encodings fail clearly.
func TestModelRoundTrip(t *testing.T) {
	s := &Stack{Layers: []*RBM{machine(6, 4, Spin, 1, 1).RBM, machine(4, 2, Spin, 1, 2).RBM}}
	data, err := s.Marshal(map[string]string{"lr": "0.1"})
	if err != nil {
		t.Fatal(err)
	}
	back, hyper, err := Unmarshal(data)
	if err != nil || hyper["lr"] != "0.1" || len(back.Layers) != 2 || back.Layers[1].C[1] != s.Layers[1].C[1] || back.Layers[0].W.At(5, 3) != s.Layers[0].W.At(5, 3) {
		t.Fatalf("round trip: %v %v", err, hyper)
	}
	for name, bad := range map[string][]byte{
		"magic":     append([]byte("XX"), data...),
		"truncated": data[:len(data)-4],
		"chain":     []byte(modelMagic + `{"units":"spin","layers":[{"visible":6,"hidden":4},{"visible":3,"hidden":2}]}` + "\n"),
		"units":     []byte(modelMagic + `{"units":"potts","layers":[{"visible":1,"hidden":1}]}` + "\n"),
	} {
		if _, _, err := Unmarshal(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The flow keeps the lattice size; receptive fields multiply the weights.
func TestFlowAndReceptiveFields(t *testing.T) {
	a, b := machine(6, 4, Spin, 1, 1), machine(4, 2, Spin, 1, 2)
	s := &Stack{Layers: []*RBM{a.RBM, b.RBM}}
	g := &linalg.Gemm{}
	data := matrix(data6(10, Spin, linalg.NewRand(1)))
	for _, feed := range []Feed{Mean, Sample} {
		steps, err := s.Flow(g, linalg.NewRand(1), data, 3, feed)
		if err != nil || len(steps) != 4 || steps[3].Rows != 10 || steps[3].Cols != 6 {
			t.Fatalf("%s flow: %v", feed, err)
		}
		acts, err := s.Activations(g, linalg.NewRand(1), data, feed)
		if err != nil || len(acts) != 2 || acts[1].Cols != 2 {
			t.Fatalf("%s activations: %v", feed, err)
		}
	}
	rf, err := s.ReceptiveFields(g, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for k := 0; k < 4; k++ {
		want += float64(a.W.At(3, k)) * float64(b.W.At(k, 1))
	}
	if math.Abs(float64(rf.At(3, 1))-want) > 1e-5 {
		t.Errorf("receptive field (3,1) = %v, want %v", rf.At(3, 1), want)
	}
	if _, err := s.Flow(g, linalg.NewRand(1), linalg.NewMatrix(2, 5), 1, Mean); err == nil {
		t.Error("flow of mismatched data: no error")
	}
}

// The monitored rows are spread evenly over the data: data stored in blocks
// (temperature by temperature) are monitored in every block.
func TestSpread(t *testing.T) {
	a := linalg.NewMatrix(10, 2)
	for i := 0; i < 10; i++ {
		a.Set(i, 0, float32(i))
	}
	tests := []struct {
		k    int
		want []float32
	}{{3, []float32{0, 3, 6}}, {5, []float32{0, 2, 4, 6, 8}}, {10, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}, {1, []float32{0}}}
	for _, tt := range tests {
		got := spread(a, tt.k)
		var rows []float32
		for i := 0; i < got.Rows; i++ {
			rows = append(rows, got.At(i, 0))
		}
		if !slices.Equal(rows, tt.want) {
			t.Errorf("spread(10 rows, %d) = %v, want %v", tt.k, rows, tt.want)
		}
	}
	if e := spread(linalg.Matrix{}, 3); e.Rows != 0 {
		t.Errorf("spread of no rows has %d", e.Rows)
	}
}
