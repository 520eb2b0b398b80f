package ising

// SpinField converts n samples of L² spins to float64 values.
func SpinField(spins []int8) []float64 {
	out := make([]float64, len(spins))
	for i, s := range spins {
		out[i] = float64(s)
	}
	return out
}

// EnergyField returns the bond-energy density ε(x) = Σ_{μ=x̂,ŷ} σ(x)σ(x+μ) of
// each of the samples of L² spins in spins (periodic L×L lattices, site (x, y)
// at y*L+x). Subtracting its mean gives the energy operator of the 2-D Ising
// field theory, of scaling dimension Δε = 1.
func EnergyField(spins []int8, L int) []float64 {
	N := L * L
	out := make([]float64, len(spins))
	for base := 0; base+N <= len(spins); base += N {
		s := spins[base : base+N]
		for y := 0; y < L; y++ {
			for x := 0; x < L; x++ {
				i := y*L + x
				right := y*L + (x+1)%L
				down := ((y+1)%L)*L + x
				out[base+i] = float64(s[i]) * float64(s[right]+s[down])
			}
		}
	}
	return out
}
