package fit

import (
	"fmt"
	"math"
	"sort"
)

// Series is a critical law fitted separately to each group of the rows of
// a long table: each step of a flow, say, measured at the same temperatures.
type Series struct {
	By   []float64   // the groups' values of the grouping column, ascending
	Fits []*Critical // their fits
	Rows [][]int     // the rows of each group, in table order
}

// FitCriticalSeries fits y = A·(Tc − t)^β (FitCritical) to the rows of each
// value of by whose t is one of temps (within 1e-9); every group must have a
// row at each of them. sigma, when not nil, weights the points (errors below
// 1e-12 count as 1e-12).
func FitCriticalSeries(by, t, y, sigma, temps []float64, level float64) (*Series, error) {
	in := func(x float64) bool {
		for _, w := range temps {
			if math.Abs(x-w) < 1e-9 {
				return true
			}
		}
		return false
	}
	groups := map[float64][]int{}
	for i, b := range by {
		if in(t[i]) {
			groups[b] = append(groups[b], i)
		}
	}
	s := &Series{}
	for b, rows := range groups {
		if len(rows) != len(temps) {
			return nil, fmt.Errorf("fit: group %v has %d of the %d temperatures", b, len(rows), len(temps))
		}
		s.By = append(s.By, b)
	}
	if len(s.By) == 0 {
		return nil, fmt.Errorf("fit: no rows at the temperatures %v", temps)
	}
	sort.Float64s(s.By)
	for _, b := range s.By {
		rows := groups[b]
		x, v := make([]float64, len(rows)), make([]float64, len(rows))
		var sg []float64
		for k, i := range rows {
			x[k], v[k] = t[i], y[i]
			if sigma != nil {
				sg = append(sg, math.Max(sigma[i], 1e-12))
			}
		}
		c, err := FitCritical(x, v, sg, level)
		if err != nil {
			return nil, fmt.Errorf("fit: group %v: %w", b, err)
		}
		s.Fits = append(s.Fits, c)
		s.Rows = append(s.Rows, rows)
	}
	return s, nil
}

// ConvergedFrom returns the first group value from which every fit's Tc
// interval locates target (Locates), or −1 when the last does not.
func (s *Series) ConvergedFrom(target, resolution float64) float64 {
	from := -1.0
	for i, c := range s.Fits {
		ok := Locates(c.TcLo, c.TcHi, target, resolution)
		switch {
		case ok && from < 0:
			from = s.By[i]
		case !ok:
			from = -1
		}
	}
	return from
}

// Locates reports whether the interval [lo, hi] contains v and its
// half-width is at most resolution: an interval wider than that (a fit that
// runs away where the data are flat) contains almost anything and locates
// nothing. A resolution ≤ 0 leaves the width unchecked.
func Locates(lo, hi, v, resolution float64) bool {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > v || v > hi {
		return false
	}
	return resolution <= 0 || (hi-lo)/2 <= resolution
}

// Group returns the index of the group whose value is b (within 1e-9), or −1.
func (s *Series) Group(b float64) int {
	for i, v := range s.By {
		if math.Abs(v-b) < 1e-9 {
			return i
		}
	}
	return -1
}
