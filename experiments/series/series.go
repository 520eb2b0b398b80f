// Package series summarises a curve y(x): whether it trends (Spearman's rank
// correlation with its p-value, a least-squares slope with its standard error)
// and how many distinct peaks it has (local maxima by topographic prominence).
package series

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// ErrTooShort is returned for series too short to summarise.
var ErrTooShort = errors.New("series: need at least 3 points")

// Ranks returns the ranks of x (1-based), ties sharing their mean rank.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation ρ of x and y and the two-sided
// p-value of ρ under independence, from t = ρ√((n−2)/(1−ρ²)) with n−2 degrees
// of freedom.
func Spearman(x, y []float64) (rho, p float64, err error) {
	n := len(x)
	if n != len(y) {
		panic("series: length mismatch")
	}
	if n < 3 {
		return 0, 0, ErrTooShort
	}
	rho = stat.Correlation(Ranks(x), Ranks(y), nil)
	if math.IsNaN(rho) {
		return 0, 1, nil // a constant series has no trend
	}
	if math.Abs(rho) >= 1 {
		return rho, 0, nil
	}
	t := rho * math.Sqrt(float64(n-2)/(1-rho*rho))
	dist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}
	return rho, 2 * dist.Survival(math.Abs(t)), nil
}

// LinearFit fits y = a + b·x by least squares and returns b, a and the
// standard error of b from the residual variance (n−2 degrees of freedom).
func LinearFit(x, y []float64) (slope, intercept, slopeErr float64, err error) {
	n := len(x)
	if n < 3 {
		return 0, 0, 0, ErrTooShort
	}
	intercept, slope = stat.LinearRegression(x, y, nil, false)
	var ssr float64
	for i := range x {
		d := y[i] - intercept - slope*x[i]
		ssr += d * d
	}
	mx := stat.Mean(x, nil)
	var sxx float64
	for _, v := range x {
		sxx += (v - mx) * (v - mx)
	}
	if sxx == 0 {
		return 0, 0, 0, errors.New("series: x is constant")
	}
	return slope, intercept, math.Sqrt(ssr / float64(n-2) / sxx), nil
}

// Peaks returns the indices of the local maxima of y whose topographic
// prominence is at least minProminence: the height of the peak above the
// higher of the lowest points separating it, on either side, from higher
// ground (or from the end of the series). End points count as peaks only if
// they exceed their single neighbour. A plateau counts once, at its first index.
func Peaks(y []float64, minProminence float64) []int {
	var out []int
	n := len(y)
	for i := 0; i < n; i++ {
		j := i
		for j+1 < n && y[j+1] == y[i] {
			j++ // plateau i..j
		}
		leftLower := i == 0 || y[i-1] < y[i]
		rightLower := j == n-1 || y[j+1] < y[i]
		if n > 1 && leftLower && rightLower && prominence(y, i, j) >= minProminence {
			out = append(out, i)
		}
		i = j
	}
	return out
}

func prominence(y []float64, i, j int) float64 {
	h := y[i]
	minLeft := h
	hitLeft := false
	for k := i - 1; k >= 0; k-- {
		if y[k] > h {
			hitLeft = true
			break
		}
		minLeft = math.Min(minLeft, y[k])
	}
	minRight := h
	hitRight := false
	for k := j + 1; k < len(y); k++ {
		if y[k] > h {
			hitRight = true
			break
		}
		minRight = math.Min(minRight, y[k])
	}
	// The key col is the higher of the two saddles; a side that reaches the end
	// of the series without meeting higher ground imposes no saddle unless the
	// other side also does not (the global maximum), then the lower minimum counts.
	switch {
	case hitLeft && hitRight:
		return h - math.Max(minLeft, minRight)
	case hitLeft:
		return h - minLeft
	case hitRight:
		return h - minRight
	}
	return h - math.Min(minLeft, minRight)
}
