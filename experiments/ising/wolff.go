package ising

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Wolff performs Wolff single-cluster updates at inverse temperature Beta. With
// a field H, the grown cluster is flipped with probability
// min(1, exp(−2βH s |C|)), which keeps detailed balance.
type Wolff struct {
	lat    *Lattice
	src    *rand.PCG
	state  uint64 // wyrand state for bond decisions
	beta   float64
	h      float64
	padd   uint64
	stack  []int32
	member []int32
	// Flipped and Clusters count spins flipped and clusters grown since the last reset.
	Flipped, Clusters int64
}

// NewWolff returns a Wolff updater of lat, drawing its random numbers from a
// PCG stream seeded from rng.
func NewWolff(lat *Lattice, beta, h float64, rng *rand.Rand) *Wolff {
	return &Wolff{lat: lat, beta: beta, h: h, padd: threshold(1 - math.Exp(-2*beta)),
		src: rand.NewPCG(rng.Uint64(), rng.Uint64()), state: rng.Uint64()}
}

// Step grows one cluster from a random site and flips it (subject to the field's
// acceptance). It returns the cluster size.
func (w *Wolff) Step() int {
	l := w.lat
	S := l.S
	src := w.src
	right, left, down, up := l.right, l.left, l.down, l.up
	padd := w.padd
	// Spins flip as they join the cluster, so a joined site no longer
	// matches s and needs no mark; a field rejection flips them back.
	seed := int32(src.Uint64() % uint64(len(S)))
	s := S[seed]
	S[seed] = -s
	stack := append(w.stack[:0], seed)
	member := append(w.member[:0], seed)
	state := w.state
	add := func(j int32) {
		if S[j] != s {
			return
		}
		state += wyGamma
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		if hi^lo < padd {
			S[j] = -s
			stack = append(stack, j)
			member = append(member, j)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		add(right[i])
		add(left[i])
		add(down[i])
		add(up[i])
	}
	w.state = state
	w.stack, w.member = stack, member
	size := len(member)
	w.Clusters++
	if w.h != 0 && float64(src.Uint64()>>11)/(1<<53) >= math.Exp(-2*w.beta*w.h*float64(s)*float64(size)) {
		for _, j := range member {
			S[j] = s
		}
		return size
	}
	w.Flipped += int64(size)
	return size
}
