// Package blockspin coarse-grains square lattices of spins by 2×2 blocks, the
// real-space renormalization-group step of Kadanoff: each block of four sites
// becomes one site of a lattice of half the side. The block average keeps
// the mean (values in {−1, −½, 0, ½, 1} from ±1 spins); the majority rule
// keeps spins ±1, breaking ties (two up, two down) at random.
package blockspin

import (
	"fmt"
	"math/rand/v2"
)

// Rule is how a block's four sites become one.
type Rule string

// The rules.
const (
	Average  Rule = "average"  // s' = (s1+s2+s3+s4)/4
	Majority Rule = "majority" // s' = sign(s1+s2+s3+s4), a tie ±1 at random
)

// Coarsen applies `steps` block-spin steps to n lattices of side L stored one
// after another in src, and returns the n lattices of side L/2^steps. The
// side must stay even at every step. rng breaks majority-rule ties (it is
// not used by Average).
func Coarsen(src []float32, n, L, steps int, rule Rule, rng *rand.Rand) ([]float32, int, error) {
	if len(src) != n*L*L {
		return nil, 0, fmt.Errorf("blockspin: %d values are not %d lattices of %d×%d", len(src), n, L, L)
	}
	if rule != Average && rule != Majority {
		return nil, 0, fmt.Errorf("blockspin: unknown rule %q", rule)
	}
	if rule == Majority && rng == nil {
		return nil, 0, fmt.Errorf("blockspin: the majority rule needs a random source for ties")
	}
	cur := src
	for k := 0; k < steps; k++ {
		if L < 2 || L%2 != 0 {
			return nil, 0, fmt.Errorf("blockspin: step %d of %d needs an even side, have %d", k+1, steps, L)
		}
		l := L / 2
		next := make([]float32, n*l*l)
		for s := 0; s < n; s++ {
			in, out := cur[s*L*L:(s+1)*L*L], next[s*l*l:(s+1)*l*l]
			for y := 0; y < l; y++ {
				r0, r1 := in[2*y*L:(2*y+1)*L], in[(2*y+1)*L:(2*y+2)*L]
				for x := 0; x < l; x++ {
					sum := r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]
					switch {
					case rule == Average:
						out[y*l+x] = sum / 4
					case sum > 0:
						out[y*l+x] = 1
					case sum < 0:
						out[y*l+x] = -1
					case rng.IntN(2) == 0:
						out[y*l+x] = -1
					default:
						out[y*l+x] = 1
					}
				}
			}
		}
		cur, L = next, l
	}
	if steps == 0 {
		cur = append([]float32(nil), src...)
	}
	return cur, L, nil
}
