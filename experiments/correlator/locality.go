package correlator

import (
	"fmt"
	"math"
	"math/cmplx"
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
	// distance `radius` of the peak; Surrogate is the mean of the same share
	// over phase-randomized surrogates of the panel: fields with the same
	// power spectrum, hence the same smoothness and the same G(r), but random
	// phases, which spread a single patch over the lattice. A smooth random
	// field is its own surrogate (ratio about 1); one patch is not.
	Share, Surrogate float64
	// Patches counts the separate patches: connected sets (nearest
	// neighbours, periodic) of sites whose excess is at least `threshold`
	// times the largest. Sites is how many sites they cover.
	Patches, Sites int
}

// Ratio is Share over Surrogate: about 1 for no locality beyond smoothness,
// larger when the weight gathers around one peak.
func (l Locality) Ratio() float64 { return l.Share / l.Surrogate }

// Phases are random phase fields for the surrogates of L×L panels: the
// phases of the Fourier transforms of real white-noise fields, so that a
// panel's transform times one of them transforms back to a real field. One
// set serves every panel of a stack.
type Phases struct {
	L      int
	fields [][]complex128
}

// NewPhases draws n phase fields for L×L panels from rng.
func NewPhases(L, n int, rng *rand.Rand) (*Phases, error) {
	if L < 2 || n < 1 {
		return nil, fmt.Errorf("correlator: phases need L ≥ 2 and at least one field, got L = %d, n = %d", L, n)
	}
	p := &Phases{L: L}
	f := newFFT2(L)
	for k := 0; k < n; k++ {
		for i := range f.grid {
			f.grid[i] = complex(rng.NormFloat64(), 0)
		}
		f.transform(false)
		ph := make([]complex128, L*L)
		for i, w := range f.grid {
			ph[i] = 1 // the mean (i = 0) is kept
			if a := cmplx.Abs(w); i != 0 && a > 0 {
				ph[i] = w / complex(a, 0)
			}
		}
		p.fields = append(p.fields, ph)
	}
	return p, nil
}

// PanelLocality measures one L×L panel (row-major) against its surrogates
// with the given phases. Calls may run concurrently.
func PanelLocality(panel []float64, L int, radius, threshold float64, phases *Phases) (Locality, error) {
	N := L * L
	if L < 2 || len(panel) != N {
		return Locality{}, fmt.Errorf("correlator: %d values are not an %d×%d panel", len(panel), L, L)
	}
	if phases == nil || phases.L != L || threshold <= 0 || threshold > 1 || radius < 0 {
		return Locality{}, fmt.Errorf("correlator: locality needs phases for %d×%d panels, threshold in (0, 1], radius ≥ 0", L, L)
	}
	var loc Locality
	excess := func(f []float64) ([]float64, float64, int, float64) {
		a := make([]float64, N)
		for i, v := range f {
			a[i] = math.Abs(v)
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		bg := (sorted[(N-1)/2] + sorted[N/2]) / 2
		peak, total := 0, 0.0
		for i := range a {
			a[i] = math.Max(a[i]-bg, 0)
			total += a[i]
			if a[i] > a[peak] {
				peak = i
			}
		}
		return a, bg, peak, total
	}
	near := neighbourhood(L, radius)
	share := func(a []float64, p int, total float64) float64 {
		px, py := p%L, p/L
		var s float64
		for _, d := range near {
			x, y := (px+d[0]+L)%L, (py+d[1]+L)%L
			s += a[y*L+x]
		}
		return s / total
	}
	abs, bg, peak, total := excess(panel)
	loc.Background = bg
	loc.PeakX, loc.PeakY = peak%L, peak/L
	if total == 0 {
		return loc, fmt.Errorf("correlator: the panel is flat (no site above its median |C|)")
	}
	loc.Share = share(abs, peak, total)
	f := newFFT2(L)
	for i, v := range panel {
		f.grid[i] = complex(v, 0)
	}
	f.transform(false)
	amp := slices.Clone(f.grid)
	sur := make([]float64, N)
	for _, ph := range phases.fields {
		for i := range f.grid {
			f.grid[i] = amp[i] * ph[i]
		}
		f.transform(true)
		for i, z := range f.grid {
			sur[i] = real(z) / float64(N)
		}
		sa, _, sp, st := excess(sur)
		if st == 0 {
			loc.Surrogate++
			continue
		}
		loc.Surrogate += share(sa, sp, st)
	}
	loc.Surrogate /= float64(len(phases.fields))
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
