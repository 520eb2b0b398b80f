package correlator

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Independent sites: the connected function vanishes within its errors, and the
// bootstrap error matches the analytic one, √(1/(n·pairs(r)))·var f (roughly).
func TestConnectedGWhiteNoise(t *testing.T) {
	const n, L = 400, 8
	rng := rand.New(rand.NewPCG(4, 4))
	f := make([]float64, n*L*L)
	for i := range f {
		f[i] = 3 + rng.NormFloat64()
	}
	c, err := ConnectedG(f, n, L, 200, rng)
	if err != nil {
		t.Fatal(err)
	}
	if c.R[0] != 1 || c.R[len(c.R)-1] != 4 {
		t.Errorf("distances %v", c.R)
	}
	bad := 0
	for i := range c.R {
		if math.Abs(c.G[i]) > 3*c.Err[i] {
			bad++
		}
		if c.Err[i] <= 0 || c.Err[i] > 0.02 {
			t.Errorf("r=%v: error %v", c.R[i], c.Err[i])
		}
	}
	if bad > 1 {
		t.Errorf("%d of %d distances have |G| > 3σ for independent sites: %v ± %v", bad, len(c.R), c.G, c.Err)
	}
}

// A field that is a per-sample constant ±a has G(r) = a² − μ² at every r.
func TestConnectedGConstantSamples(t *testing.T) {
	const n, L = 4, 6
	f := make([]float64, n*L*L)
	for s := 0; s < n; s++ {
		v := 2.0
		if s%2 == 1 {
			v = -2
		}
		for i := 0; i < L*L; i++ {
			f[s*L*L+i] = v
		}
	}
	c, err := ConnectedG(f, n, L, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range c.G {
		if math.Abs(g-4) > 1e-12 {
			t.Errorf("r=%v: G=%v, want 4", c.R[i], g)
		}
	}
}
