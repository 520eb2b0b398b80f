package ising

import (
	"math"
	"math/rand/v2"
)

// Metropolis performs single-spin Metropolis updates at inverse temperature
// Beta and field H.
type Metropolis struct {
	lat  *Lattice
	src  *rand.PCG
	beta float64
	h    float64
	// accept[(s+1)/2][(Σnn+4)/2] is the acceptance threshold for flipping spin
	// s whose neighbours sum to Σnn: min(1, exp(−2βs(Σnn+h))).
	accept [2][5]uint64
	// Accepted and Attempted count flips since the last reset.
	Accepted, Attempted int64
}

// NewMetropolis returns a Metropolis updater of lat, drawing its random numbers
// from a PCG stream seeded from rng.
func NewMetropolis(lat *Lattice, beta, h float64, rng *rand.Rand) *Metropolis {
	m := &Metropolis{lat: lat, beta: beta, h: h, src: rand.NewPCG(rng.Uint64(), rng.Uint64())}
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
func (m *Metropolis) Sweep() {
	l := m.lat
	L := l.L
	S := l.S
	src := m.src
	right, left, down, up := l.right, l.left, l.down, l.up
	acc := int64(0)
	try := func(i int) {
		s := S[i]
		nn := int(S[right[i]]) + int(S[left[i]]) + int(S[down[i]]) + int(S[up[i]])
		if src.Uint64() < m.accept[(s+1)>>1][(nn+4)>>1] {
			S[i] = -s
			acc++
		}
	}
	switch {
	case L <= 3:
		for range S {
			try(int(src.Uint64() % uint64(len(S))))
		}
	case L%2 == 0:
		for parity := 0; parity < 2; parity++ {
			for y := 0; y < L; y++ {
				row := y * L
				for x := (y + parity) & 1; x < L; x += 2 {
					try(row + x)
				}
			}
		}
	default:
		for i := range S {
			try(i)
		}
	}
	m.Accepted += acc
	m.Attempted += int64(len(S))
}
