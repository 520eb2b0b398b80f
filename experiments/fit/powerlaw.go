// Package fit fits models to data with error bars by weighted least squares.
package fit

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// PowerLaw is the result of fitting y = A·x^(−2Δ).
type PowerLaw struct {
	A, Delta float64
	// AErr and DeltaErr are standard errors from the fit covariance
	// (JᵀWJ)⁻¹, scaled by χ²/dof when that exceeds 1; NaN when that matrix
	// is singular.
	AErr, DeltaErr float64
	Chi2           float64
	Dof            int
}

// FitPowerLaw fits y = A·x^(−2Δ) to points (x, y) with standard errors sigma by
// minimising χ² = Σ((y − A x^(−2Δ))/σ)². All x must be positive and at least
// three points are needed. The start comes from a straight-line fit of
// ln y against ln x over the points with y > 0.
func FitPowerLaw(x, y, sigma []float64) (*PowerLaw, error) {
	n := len(x)
	if n < 3 || len(y) != n || len(sigma) != n {
		return nil, errors.New("fit: need at least 3 points with x, y and sigma")
	}
	for i := range x {
		if !(x[i] > 0) || !(sigma[i] > 0) || math.IsNaN(y[i]) {
			return nil, fmt.Errorf("fit: bad point %d: x=%v y=%v sigma=%v", i, x[i], y[i], sigma[i])
		}
	}
	// Start: ln y = ln A − 2Δ ln x over positive y.
	var sx, sy, sxx, sxy, k float64
	for i := range x {
		if y[i] > 0 {
			lx, ly := math.Log(x[i]), math.Log(y[i])
			sx, sy, sxx, sxy, k = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly, k+1
		}
	}
	a0, d0 := 1.0, 0.5
	if k >= 2 && k*sxx-sx*sx > 0 {
		slope := (k*sxy - sx*sy) / (k*sxx - sx*sx)
		a0, d0 = math.Exp((sy-slope*sx)/k), -slope/2
	}
	model := func(p []float64, xi float64) float64 { return p[0] * math.Pow(xi, -2*p[1]) }
	chi2 := func(p []float64) float64 {
		var c float64
		for i := range x {
			r := (y[i] - model(p, x[i])) / sigma[i]
			c += r * r
		}
		return c
	}
	grad := func(g, p []float64) {
		g[0], g[1] = 0, 0
		for i := range x {
			m := model(p, x[i])
			r := (y[i] - m) / (sigma[i] * sigma[i])
			g[0] += -2 * r * m / p[0]
			g[1] += -2 * r * m * (-2 * math.Log(x[i]))
		}
		if p[0] == 0 {
			g[0] = 0
			for i := range x {
				g[0] += -2 * (y[i] - model(p, x[i])) / (sigma[i] * sigma[i]) * math.Pow(x[i], -2*p[1])
			}
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: chi2, Grad: grad}, []float64{a0, d0}, &optimize.Settings{GradientThreshold: 1e-10}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	p := res.X
	out := &PowerLaw{A: p[0], Delta: p[1], Chi2: res.F, Dof: n - 2}
	// Covariance (JᵀWJ)⁻¹ with J the model's derivatives.
	jtj := mat.NewSymDense(2, nil)
	for i := range x {
		m := model(p, x[i])
		da, dd := math.Pow(x[i], -2*p[1]), m*(-2*math.Log(x[i]))
		w := 1 / (sigma[i] * sigma[i])
		jtj.SetSym(0, 0, jtj.At(0, 0)+w*da*da)
		jtj.SetSym(0, 1, jtj.At(0, 1)+w*da*dd)
		jtj.SetSym(1, 1, jtj.At(1, 1)+w*dd*dd)
	}
	var cov mat.Dense
	if err := cov.Inverse(jtj); err != nil {
		// The minimum is still the answer; only its covariance is unknown.
		out.AErr, out.DeltaErr = math.NaN(), math.NaN()
		return out, nil
	}
	scale := 1.0
	if out.Dof > 0 && out.Chi2/float64(out.Dof) > 1 {
		scale = out.Chi2 / float64(out.Dof)
	}
	out.AErr = math.Sqrt(scale * cov.At(0, 0))
	out.DeltaErr = math.Sqrt(scale * cov.At(1, 1))
	return out, nil
}
