// Package ising simulates the two-dimensional Ising model
//
//	H = −J Σ_⟨ij⟩ s_i s_j − h Σ_i s_i,  J = 1,
//
// on a periodic L×L lattice (any L ≥ 2, odd included) with Wolff cluster
// updates and single-spin Metropolis updates (checkerboard order for even L,
// sequential otherwise), and draws independent samples at a spacing measured
// from the integrated autocorrelation time.
//
// Site (x, y) is at index y*L + x. Random numbers come from the *rand.Rand the
// caller passes; nothing here uses global state.
package ising

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Lattice is a periodic L×L configuration of ±1 spins.
type Lattice struct {
	L int
	S []int8
	// Neighbour tables: right, left, down (y+1) and up (y−1) of each site.
	right, left, down, up []int32
}

// NewLattice returns an L×L lattice with all spins up. It panics if L < 2.
func NewLattice(L int) *Lattice {
	if L < 2 {
		panic(fmt.Sprintf("ising: lattice side %d < 2", L))
	}
	n := L * L
	l := &Lattice{L: L, S: make([]int8, n), right: make([]int32, n), left: make([]int32, n), down: make([]int32, n), up: make([]int32, n)}
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			i := y*L + x
			l.S[i] = 1
			l.right[i] = int32(y*L + (x+1)%L)
			l.left[i] = int32(y*L + (x+L-1)%L)
			l.down[i] = int32(((y+1)%L)*L + x)
			l.up[i] = int32(((y+L-1)%L)*L + x)
		}
	}
	return l
}

// Randomize sets every spin independently to ±1 (an infinite-temperature start).
func (l *Lattice) Randomize(rng *rand.Rand) {
	for i := range l.S {
		l.S[i] = int8(2*rng.IntN(2) - 1)
	}
}

// N returns the number of sites.
func (l *Lattice) N() int { return len(l.S) }

// Bonds returns Σ_⟨ij⟩ s_i s_j over the 2N nearest-neighbour bonds.
func (l *Lattice) Bonds() int {
	b := 0
	for i, s := range l.S {
		b += int(s) * int(l.S[l.right[i]]+l.S[l.down[i]])
	}
	return b
}

// Magnetization returns Σ_i s_i.
func (l *Lattice) Magnetization() int {
	m := 0
	for _, s := range l.S {
		m += int(s)
	}
	return m
}

// Energy returns H = −Σ_⟨ij⟩ s_i s_j − h Σ_i s_i.
func (l *Lattice) Energy(h float64) float64 {
	return -float64(l.Bonds()) - h*float64(l.Magnetization())
}

// threshold converts a probability to a uint64 threshold: a uniform u accepts
// when u < threshold.
func threshold(p float64) uint64 {
	if p >= 1 {
		return math.MaxUint64
	}
	if p <= 0 {
		return 0
	}
	return uint64(p * (1 << 63) * 2)
}
