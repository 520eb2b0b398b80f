package ising

import (
	"math"
	"math/rand/v2"
)

// Metropolis performs single-spin Metropolis updates at inverse temperature
// Beta and field H.
type Metropolis struct {
	lat  *Lattice
	beta float64
	h    float64
	// accept[(s+1)/2][(Σnn+4)/2] is the acceptance threshold for flipping spin
	// s whose neighbours sum to Σnn: min(1, exp(−2βs(Σnn+h))).
	accept [2][5]uint64
	// Accepted and Attempted count flips since the last reset.
	Accepted, Attempted int64
}

// NewMetropolis returns a Metropolis updater of lat.
func NewMetropolis(lat *Lattice, beta, h float64) *Metropolis {
	m := &Metropolis{lat: lat, beta: beta, h: h}
	for si, s := range []float64{-1, 1} {
		for k := 0; k < 5; k++ {
			nn := float64(2*k - 4)
			m.accept[si][k] = threshold(math.Exp(-2 * beta * s * (nn + h)))
		}
	}
	return m
}

// Sweep attempts L² flips: in checkerboard order (all sites with x+y even, then
// odd) when L is even, sequentially when L is odd, where a checkerboard is not
// bipartite. On lattices of side 2 and 3, whose sites neighbour each other
// twice, a fixed order is not ergodic (zero-energy flips, always accepted,
// cycle deterministically), so sites are drawn at random there.
func (m *Metropolis) Sweep(rng *rand.Rand) {
	l := m.lat
	L := l.L
	S := l.S
	acc := int64(0)
	update := func(i int) {
		s := S[i]
		nn := int(S[l.right[i]]) + int(S[l.left[i]]) + int(S[l.down[i]]) + int(S[l.up[i]])
		if rng.Uint64() < m.accept[(s+1)>>1][(nn+4)>>1] {
			S[i] = -s
			acc++
		}
	}
	switch {
	case L <= 3:
		for range S {
			update(rng.IntN(len(S)))
		}
	case L%2 == 0:
		for parity := 0; parity < 2; parity++ {
			for y := 0; y < L; y++ {
				for x := (y + parity) % 2; x < L; x += 2 {
					update(y*L + x)
				}
			}
		}
	default:
		for i := range S {
			update(i)
		}
	}
	m.Accepted += acc
	m.Attempted += int64(len(S))
}
