package ising

import (
	"math"
	"math/rand/v2"
)

// Wolff performs Wolff single-cluster updates at inverse temperature Beta. With
// a field H, the grown cluster is flipped with probability
// min(1, exp(−2βH s |C|)), which keeps detailed balance.
type Wolff struct {
	lat    *Lattice
	beta   float64
	h      float64
	padd   uint64
	mark   []uint32
	gen    uint32
	stack  []int32
	member []int32
	// Flipped and Clusters count spins flipped and clusters grown since the last reset.
	Flipped, Clusters int64
}

// NewWolff returns a Wolff updater of lat.
func NewWolff(lat *Lattice, beta, h float64) *Wolff {
	return &Wolff{lat: lat, beta: beta, h: h, padd: threshold(1 - math.Exp(-2*beta)), mark: make([]uint32, lat.N())}
}

// Step grows one cluster from a random site and flips it (subject to the field's
// acceptance). It returns the cluster size.
func (w *Wolff) Step(rng *rand.Rand) int {
	l := w.lat
	S := l.S
	w.gen++
	if w.gen == 0 { // wrapped: clear the marks
		clear(w.mark)
		w.gen = 1
	}
	seed := int32(rng.IntN(len(S)))
	s := S[seed]
	w.mark[seed] = w.gen
	w.stack = append(w.stack[:0], seed)
	w.member = append(w.member[:0], seed)
	for len(w.stack) > 0 {
		i := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		for _, j := range [4]int32{l.right[i], l.left[i], l.down[i], l.up[i]} {
			if S[j] == s && w.mark[j] != w.gen && rng.Uint64() < w.padd {
				w.mark[j] = w.gen
				w.stack = append(w.stack, j)
				w.member = append(w.member, j)
			}
		}
	}
	size := len(w.member)
	w.Clusters++
	if w.h != 0 && rng.Float64() >= math.Exp(-2*w.beta*w.h*float64(s)*float64(size)) {
		return size
	}
	for _, j := range w.member {
		S[j] = -s
	}
	w.Flipped += int64(size)
	return size
}
