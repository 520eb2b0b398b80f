package fit

import (
	"math"
	"strings"
	"testing"
)

// Groups are fitted separately on synthetic laws with known Tc, sorted by
// their value; ConvergedFrom finds where the intervals start to hold the
// exact Tc for good.
func TestFitCriticalSeries(t *testing.T) {
	temps := []float64{1.8, 1.9, 2.0, 2.1, 2.2}
	// Group 2 is exact at Tc = 2.269; groups 0 and 1 follow laws with Tc
	// 2.6 and 2.4 (slightly noisy, so that the intervals have a width).
	law := map[float64]float64{0: 2.6, 1: 2.4, 2: 2.269, 3: 2.269}
	var by, x, y []float64
	for _, b := range []float64{3, 0, 2, 1} { // out of order on purpose
		for i, T := range temps {
			by, x = append(by, b), append(x, T)
			y = append(y, math.Pow(law[b]-T, 0.125)*(1+1e-4*float64(i%2*2-1)))
		}
		by, x, y = append(by, b), append(x, 3.0), append(y, 0) // a row not fitted
	}
	s, err := FitCriticalSeries(by, x, y, nil, temps, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range s.By {
		if b != float64(i) {
			t.Fatalf("groups %v, want 0 1 2 3", s.By)
		}
		if got := s.Fits[i].Tc; math.Abs(got-law[b]) > 0.02 {
			t.Errorf("group %v: Tc %v, want %v", b, got, law[b])
		}
		if len(s.Rows[i]) != len(temps) {
			t.Errorf("group %v fitted %d rows", b, len(s.Rows[i]))
		}
	}
	if got := s.ConvergedFrom(2.269, 0); got != 2 {
		t.Errorf("converged from %v, want 2", got)
	}
	// An interval wider than the resolution locates nothing: a resolution
	// below the last interval's half-width leaves the series unconverged.
	half := (s.Fits[3].TcHi - s.Fits[3].TcLo) / 2
	if got := s.ConvergedFrom(2.269, half/2); got != -1 {
		t.Errorf("converged from %v at resolution %v (half-width %v), want -1", got, half/2, half)
	}
	if got := s.ConvergedFrom(2.269, 2*half); got != 2 { // groups 2 and 3 have the same noise, so the same width
		t.Errorf("converged from %v at resolution %v, want 2", got, 2*half)
	}
	if s.Group(3) != 3 || s.Group(7) != -1 {
		t.Errorf("Group(3) = %d, Group(7) = %d", s.Group(3), s.Group(7))
	}
	if _, err := FitCriticalSeries(by[1:], x[1:], y[1:], nil, temps, 0.9); err == nil || !strings.Contains(err.Error(), "group 3 has 4 of the 5 temperatures") {
		t.Errorf("a group missing a temperature: %v", err)
	}
}
