package ising

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Metropolis performs single-spin Metropolis updates at inverse temperature
// Beta and field H.
type Metropolis struct {
	lat *Lattice
	src *rand.PCG // for L ≤ 3
	// state is the wyrand generator of the fixed-order sweeps.
	state uint64
	beta  float64
	h     float64
	// accept[(s+1)/2][(Σnn+4)/2] is the acceptance threshold for flipping spin
	// s whose neighbours sum to Σnn: min(1, exp(−2βs(Σnn+h))).
	accept [2][5]uint64
	// Accepted and Attempted count flips since the last reset.
	Accepted, Attempted int64
}

// NewMetropolis returns a Metropolis updater of lat, drawing its random numbers
// from a PCG stream seeded from rng.
func NewMetropolis(lat *Lattice, beta, h float64, rng *rand.Rand) *Metropolis {
	m := &Metropolis{lat: lat, beta: beta, h: h, src: rand.NewPCG(rng.Uint64(), rng.Uint64()), state: rng.Uint64()}
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
				acc += m.row(y, (y+parity)&1, 2)
			}
		}
	default:
		for y := 0; y < L; y++ {
			acc += m.row(y, 0, 1)
		}
	}
	m.Accepted += acc
	m.Attempted += int64(len(S))
}

// row attempts flips of sites x0, x0+step, … of row y and returns the number
// accepted.
func (m *Metropolis) row(y, x0, step int) int64 {
	L := m.lat.L
	S := m.lat.S
	cur := S[y*L : y*L+L]
	up := S[((y+L-1)%L)*L:][:L]
	down := S[((y+1)%L)*L:][:L]
	state := m.state
	acc := int64(0)
	table := &m.accept
	for x := x0; x < L; x += step {
		xl, xr := x-1, x+1
		if xl < 0 {
			xl = L - 1
		}
		if xr == L {
			xr = 0
		}
		s := cur[x]
		nn := int(cur[xl]) + int(cur[xr]) + int(up[x]) + int(down[x])
		state += wyGamma
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		// Branchless: borrow is 1 when the uniform falls below the threshold.
		_, borrow := bits.Sub64(hi^lo, table[(s+1)>>1][(nn+4)>>1], 0)
		cur[x] = s * int8(1-2*borrow)
		acc += int64(borrow)
	}
	m.state = state
	return acc
}
