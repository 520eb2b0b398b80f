// Package correlator computes correlation functions of lattice data.
//
// Panel two-point function. For a panel C over an L×L periodic lattice,
//
//	G(r) = (1/|P_r|) Σ_{(i,j) ∈ P_r} C(i)·C(j),
//
// where P_r is the set of ordered site pairs (i, j) whose periodic Euclidean
// distance is r: with d = j − i, dx' = min(|dx|, L−|dx|) and likewise dy',
// r = √(dx'² + dy'²). The pair (i, i) gives r = 0, so G(0) is the mean of C².
// For a stack of panels (one per hidden unit, say), the G(r) of the panels are
// summed, as in de Mello Koch et al. (2020), eq. for G(r) in Sec. IV.
package correlator

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Curve is G(r) at each distinct distance r, in increasing order of r.
type Curve struct {
	R []float64
	G []float64
	// Pairs is the number of ordered site pairs of one panel at distance r.
	Pairs []int
}

// PanelG returns the summed two-point function of n = len(panels)/(L*L) panels.
// It uses the circular autocorrelation A(d) = Σ_i C(i)C(i+d), computed with FFTs
// in O(L² log L) per panel, and averages A over the displacements at each r.
//
// With binWidth > 0, distances are grouped into bins [(k−½)w, (k+½)w): G of a
// bin is the mean over all its pairs, and R is the mean distance of those pairs.
// With binWidth = 0 every distinct distance is its own point.
func PanelG(panels []float64, L int, binWidth float64) (*Curve, error) {
	if L < 1 || len(panels) == 0 || len(panels)%(L*L) != 0 {
		return nil, fmt.Errorf("correlator: %d values are not a stack of %d×%d panels", len(panels), L, L)
	}
	n := len(panels) / (L * L)
	acf := make([]float64, L*L)
	fft := newFFT2(L)
	for p := 0; p < n; p++ {
		fft.autocorrelate(panels[p*L*L:(p+1)*L*L], acf)
	}
	return groupByDistance(acf, L, binWidth), nil
}

// groupByDistance averages a summed autocorrelation over the displacements at
// each periodic distance and divides by the L² pairs per displacement.
func groupByDistance(acf []float64, L int, binWidth float64) *Curve {
	sum := map[int]float64{}
	rsum := map[int]float64{}
	count := map[int]int{}
	for dy := 0; dy < L; dy++ {
		ey := min(dy, L-dy)
		for dx := 0; dx < L; dx++ {
			ex := min(dx, L-dx)
			k := ex*ex + ey*ey
			r := math.Sqrt(float64(k))
			if binWidth > 0 {
				k = int(math.Floor(r/binWidth + 0.5))
			}
			sum[k] += acf[dy*L+dx]
			rsum[k] += r
			count[k]++
		}
	}
	keys := make([]int, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	c := &Curve{R: make([]float64, len(keys)), G: make([]float64, len(keys)), Pairs: make([]int, len(keys))}
	for i, k := range keys {
		c.R[i] = rsum[k] / float64(count[k])
		c.G[i] = sum[k] / float64(count[k]*L*L)
		c.Pairs[i] = count[k] * L * L
	}
	return c
}

// fft2 computes circular autocorrelations of L×L panels.
type fft2 struct {
	L          int
	t          *fourier.CmplxFFT
	grid, line []complex128
	tmp        []complex128
}

func newFFT2(L int) *fft2 {
	return &fft2{L: L, t: fourier.NewCmplxFFT(L), grid: make([]complex128, L*L), line: make([]complex128, L), tmp: make([]complex128, L)}
}

// transform applies the forward (or inverse, unnormalized) FFT to rows then columns.
func (f *fft2) transform(inverse bool) {
	L := f.L
	apply := func(dst, src []complex128) {
		if inverse {
			f.t.Sequence(dst, src)
		} else {
			f.t.Coefficients(dst, src)
		}
	}
	for y := 0; y < L; y++ {
		row := f.grid[y*L : (y+1)*L]
		apply(f.tmp, row)
		copy(row, f.tmp)
	}
	for x := 0; x < L; x++ {
		for y := 0; y < L; y++ {
			f.line[y] = f.grid[y*L+x]
		}
		apply(f.tmp, f.line)
		for y := 0; y < L; y++ {
			f.grid[y*L+x] = f.tmp[y]
		}
	}
}

// autocorrelate adds A(d) = Σ_i C(i)C(i+d) of panel c to acf.
func (f *fft2) autocorrelate(c, acf []float64) {
	for i, v := range c {
		f.grid[i] = complex(v, 0)
	}
	f.transform(false)
	for i, z := range f.grid {
		f.grid[i] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
	}
	f.transform(true)
	norm := float64(f.L * f.L)
	for i, z := range f.grid {
		acf[i] += real(z) / norm
	}
}
