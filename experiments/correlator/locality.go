package correlator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Locality measures how localized a correlator panel is, in numbers instead of
// by eye.
type Locality struct {
	// PeakX, PeakY is the site of the largest |C|.
	PeakX, PeakY int
	// Background is the panel's median |C|: near Tc correlations fall off
	// slowly, so a patch sits on a bright background rather than a dark one,
	// and brightness is measured above it: the excess max(|C| − Background, 0).
	Background float64
	// Share is the fraction of the summed excess within periodic Euclidean
	// distance `radius` of the peak; Shuffled is the mean of the same share
	// over panels with the sites randomly permuted (what no locality gives).
	Share, Shuffled float64
	// Patches counts the separate patches: connected sets (nearest
	// neighbours, periodic) of sites whose excess is at least `threshold`
	// times the largest. Sites is how many sites they cover.
	Patches, Sites int
}

// Ratio is Share over Shuffled: 1 for no locality, larger when the weight
// gathers around the peak.
func (l Locality) Ratio() float64 { return l.Share / l.Shuffled }

// PanelLocality measures one L×L panel (row-major). The shuffled baseline
// averages `shuffles` random permutations drawn from rng.
func PanelLocality(panel []float64, L int, radius, threshold float64, shuffles int, rng *rand.Rand) (Locality, error) {
	N := L * L
	if L < 2 || len(panel) != N {
		return Locality{}, fmt.Errorf("correlator: %d values are not an %d×%d panel", len(panel), L, L)
	}
	if shuffles < 1 || threshold <= 0 || threshold > 1 || radius < 0 {
		return Locality{}, fmt.Errorf("correlator: locality needs shuffles ≥ 1, threshold in (0, 1], radius ≥ 0")
	}
	abs := make([]float64, N)
	for i, v := range panel {
		abs[i] = math.Abs(v)
	}
	var loc Locality
	sorted := slices.Clone(abs)
	slices.Sort(sorted)
	loc.Background = (sorted[(N-1)/2] + sorted[N/2]) / 2
	peak, total := 0, 0.0
	for i := range abs {
		abs[i] = math.Max(abs[i]-loc.Background, 0)
		total += abs[i]
		if abs[i] > abs[peak] {
			peak = i
		}
	}
	loc.PeakX, loc.PeakY = peak%L, peak/L
	if total == 0 {
		return loc, fmt.Errorf("correlator: the panel is flat (no site above its median |C|)")
	}
	near := neighbourhood(L, radius)
	share := func(a []float64, p int) float64 {
		px, py := p%L, p/L
		var s float64
		for _, d := range near {
			x, y := (px+d[0]+L)%L, (py+d[1]+L)%L
			s += a[y*L+x]
		}
		return s / total
	}
	loc.Share = share(abs, peak)
	perm := make([]float64, N)
	for k := 0; k < shuffles; k++ {
		copy(perm, abs)
		rng.Shuffle(N, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		// The shuffled panel's own peak, as for the real one.
		pk := 0
		for i, v := range perm {
			if v > perm[pk] {
				pk = i
			}
		}
		loc.Shuffled += share(perm, pk)
	}
	loc.Shuffled /= float64(shuffles)
	loc.Patches, loc.Sites = patches(abs, L, threshold*abs[peak])
	return loc, nil
}

// neighbourhood lists the offsets within periodic Euclidean distance r of a
// site (the site included), each site of the lattice at most once.
func neighbourhood(L int, r float64) [][2]int {
	var out [][2]int
	for dy := -L / 2; dy < L-L/2; dy++ {
		for dx := -L / 2; dx < L-L/2; dx++ {
			if math.Hypot(float64(dx), float64(dy)) <= r+1e-9 {
				out = append(out, [2]int{dx, dy})
			}
		}
	}
	return out
}

// patches counts the connected components (nearest neighbours, periodic) of
// the sites where a ≥ cut, and the sites they cover.
func patches(a []float64, L int, cut float64) (count, sites int) {
	seen := make([]bool, len(a))
	var stack []int
	for i := range a {
		if seen[i] || a[i] < cut {
			continue
		}
		count++
		seen[i] = true
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			sites++
			x, y := p%L, p/L
			for _, q := range [4]int{y*L + (x+1)%L, y*L + (x+L-1)%L, ((y+1)%L)*L + x, ((y+L-1)%L)*L + x} {
				if !seen[q] && a[q] >= cut {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
	}
	return count, sites
}
