package ising

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// Replicas is the number of lattices a MultiSpin updates at once: one per bit
// of a uint64.
const Replicas = 64

// MultiSpin is multi-spin-coded Metropolis in zero field: 64 replicas of a
// periodic L×L lattice, replica r stored in bit r of every site's word (bit set
// = spin up), each replica at its own temperature. One sweep visits the sites
// in checkerboard order when L is even and sequentially when L is odd, and at
// each site decides all 64 flips with word-wide logic.
//
// A flip that raises the energy by ΔE ∈ {4, 8} is accepted with probability
// exp(−β_r ΔE). Each replica draws its own uniform variate, bit by bit: bit r
// of the j-th random word is the j-th binary digit of replica r's variate, so
// no random number is shared between replicas, and the comparison with the
// replica's threshold runs for all 64 lanes at once, stopping when every lane
// is decided (about log₂ 64 + 2 words). The comparison is exact to 2⁻⁶⁴.
type MultiSpin struct {
	L     int
	Words []uint64
	temps [Replicas]float64
	// p4[j] and p8[j] hold the j-th binary digit (most significant first) of
	// each lane's acceptance threshold exp(−4β) and exp(−8β) as 64-bit fractions.
	p4, p8 [64]uint64
	// state of the wyrand generator (a Weyl sequence through a 128-bit
	// multiply-fold, as in Go's runtime).
	state uint64
	// accepted is a bit-sliced counter of accepted flips per lane, on counted sweeps.
	accepted counter
	// Sweeps counts sweeps since creation; counted is the number of them
	// whose accepted flips were counted.
	Sweeps, counted int64
}

const countEvery = 16

const wyGamma = 0xa0761d6478bd642f

// NewMultiSpin returns 64 replicas of an L×L lattice (L ≥ 4), all spins up;
// lane r runs at temperature temps[r % len(temps)]. Its random numbers come
// from a stream seeded from rng.
func NewMultiSpin(L int, temps []float64, rng *rand.Rand) (*MultiSpin, error) {
	if L < 4 {
		// On 2×2 and 3×3 lattices, whose sites neighbour each other twice, a
		// fixed visiting order is not ergodic.
		return nil, fmt.Errorf("ising: multi-spin lattice side %d < 4", L)
	}
	if len(temps) == 0 || len(temps) > Replicas {
		return nil, fmt.Errorf("ising: multi-spin needs 1 to %d temperatures, got %d", Replicas, len(temps))
	}
	m := &MultiSpin{L: L, Words: make([]uint64, L*L), state: rng.Uint64()}
	for i := range m.Words {
		m.Words[i] = ^uint64(0)
	}
	for r := range m.temps {
		T := temps[r%len(temps)]
		if !(T > 0) {
			return nil, fmt.Errorf("ising: multi-spin temperature %v is not positive", T)
		}
		m.temps[r] = T
		t4, t8 := threshold(math.Exp(-4/T)), threshold(math.Exp(-8/T))
		for j := 0; j < 64; j++ {
			m.p4[j] |= (t4 >> (63 - j) & 1) << r
			m.p8[j] |= (t8 >> (63 - j) & 1) << r
		}
	}
	return m, nil
}

// Temperature returns the temperature of lane r.
func (m *MultiSpin) Temperature(r int) float64 { return m.temps[r] }

// Randomize sets every spin of every replica independently to ±1.
func (m *MultiSpin) Randomize(rng *rand.Rand) {
	for i := range m.Words {
		m.Words[i] = rng.Uint64()
	}
}

// Sweep attempts one flip of every site in all 64 replicas.
func (m *MultiSpin) Sweep() {
	L := m.L
	// Acceptance is counted on one sweep in countEvery, which estimates it
	// without bias at a sixteenth of the counting cost.
	count := m.Sweeps%countEvery == 0
	if count {
		m.counted++
	}
	if L%2 == 0 {
		for parity := 0; parity < 2; parity++ {
			for y := 0; y < L; y++ {
				m.row(y, (y+parity)&1, 2, count)
			}
		}
	} else {
		for y := 0; y < L; y++ {
			m.row(y, 0, 1, count)
		}
	}
	m.Sweeps++
}

// row updates sites x0, x0+step, … of row y.
func (m *MultiSpin) row(y, x0, step int, count bool) {
	L := m.L
	W := m.Words
	cur := W[y*L : y*L+L]
	up := W[((y+L-1)%L)*L:][:L]
	down := W[((y+1)%L)*L:][:L]
	p4, p8 := &m.p4, &m.p8
	state := m.state
	acc := &m.accepted
	for x := x0; x < L; x += step {
		xl, xr := x-1, x+1
		if xl < 0 {
			xl = L - 1
		}
		if xr == L {
			xr = 0
		}
		s := cur[x]
		// Antiparallel neighbours, lane by lane.
		a1, a2, a3, a4 := s^cur[xl], s^cur[xr], s^up[x], s^down[x]
		x12, y12 := a1^a2, a1&a2
		x34, y34 := a3^a4, a3&a4
		// Two or more antiparallel neighbours: ΔE ≤ 0, always flip.
		flip := y12 | y34 | (x12 & x34)
		one := (x12 ^ x34) &^ (y12 | y34) // ΔE = 4
		none := ^(a1 | a2 | a3 | a4)      // ΔE = 8
		und := one | none
		var lt uint64
		for j := 0; und != 0 && j < 64; j++ {
			state += wyGamma
			hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
			r := hi ^ lo
			p := (one & p4[j]) | (none & p8[j])
			lt |= und & p &^ r
			und &^= r ^ p
		}
		flip |= lt
		cur[x] = s ^ flip
		if count {
			acc.add(flip)
		}
	}
	m.state = state
}

// Spins writes replica r's configuration (±1, site y*L+x) into dst, which must
// hold L² values.
func (m *MultiSpin) Spins(r int, dst []int8) {
	for i, w := range m.Words {
		dst[i] = int8(w>>r&1)*2 - 1
	}
}

// Measure returns, for every lane, the bond sum Σ_⟨ij⟩ s_i s_j and the
// magnetization Σ_i s_i.
func (m *MultiSpin) Measure() (bonds, mag [Replicas]int) {
	L := m.L
	W := m.Words
	var anti, up counter
	// Small branch-free 4-bit counters, flushed into the wide ones every
	// flushEvery sites (at most 2·7 = 14 < 16 antiparallel bonds).
	const flushEvery = 7
	var a, u nibble
	k := 0
	for y := 0; y < L; y++ {
		row := W[y*L : y*L+L]
		down := W[((y+1)%L)*L:][:L]
		for x, s := range row {
			xr := x + 1
			if xr == L {
				xr = 0
			}
			a.add(s ^ row[xr])
			a.add(s ^ down[x])
			u.add(s)
			if k++; k == flushEvery {
				a.flush(&anti)
				u.flush(&up)
				k = 0
			}
		}
	}
	a.flush(&anti)
	u.flush(&up)
	n := L * L
	for r := 0; r < Replicas; r++ {
		a, u := int(anti.lane(r)), int(up.lane(r))
		bonds[r] = 2*n - 2*a
		mag[r] = 2*u - n
	}
	return bonds, mag
}

// nibble is a bit-sliced set of 64 four-bit counters.
type nibble [4]uint64

func (b *nibble) add(w uint64) {
	b[0], w = b[0]^w, b[0]&w
	b[1], w = b[1]^w, b[1]&w
	b[2], w = b[2]^w, b[2]&w
	b[3] ^= w
}

// flush adds the counts to c and clears them.
func (b *nibble) flush(c *counter) {
	for k, w := range b {
		c.addAt(w, k)
	}
	*b = nibble{}
}

// Acceptance returns the fraction of accepted flips of lane r, estimated from
// every 16th sweep since creation (0 before the first sweep).
func (m *MultiSpin) Acceptance(r int) float64 {
	if m.counted == 0 {
		return 0
	}
	return float64(m.accepted.lane(r)) / float64(m.counted*int64(len(m.Words)))
}

// counter is a bit-sliced set of 64 unsigned counters: plane k holds bit k of
// every lane's count. Adding a word increments the lanes whose bit is set, at
// an amortized cost of two planes.
type counter struct{ planes [48]uint64 }

func (c *counter) add(w uint64) { c.addAt(w, 0) }

// addAt adds 2^k to the lanes whose bit of w is set.
func (c *counter) addAt(w uint64, k int) {
	for ; w != 0; k++ {
		c.planes[k], w = c.planes[k]^w, c.planes[k]&w
	}
}

func (c *counter) lane(r int) uint64 {
	var v uint64
	for k, p := range c.planes {
		v |= (p >> r & 1) << k
	}
	return v
}
