package fit

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// Critical is the result of fitting a critical law y = A·(Tc − T)^β to points
// below Tc, with standard errors and confidence intervals computed as
// Mathematica's NonlinearModelFit does: the covariance (JᵀWJ)⁻¹ scaled by the
// residual variance χ²/(n − 3), and intervals estimate ± t·error with t the
// Student t quantile of n − 3 degrees of freedom.
type Critical struct {
	A, Tc, Beta          float64
	AErr, TcErr, BetaErr float64 // standard errors (NaN with no degrees of freedom or a singular fit)
	// Level is the confidence of the intervals; TcLo…BetaHi are their ends.
	Level                      float64
	TcLo, TcHi, BetaLo, BetaHi float64
	ALo, AHi                   float64
	Chi2                       float64
	Dof                        int
	// Edge is set when the best fit sits on the constraint, Tc at the
	// highest temperature fitted (with β → 0: the points are flat up to the
	// edge). Such a fit places no bound on Tc: its errors and intervals are NaN.
	Edge bool
}

// FitCritical fits y = A·(Tc − T)^β to points (t, y), weighted by 1/σ² when
// sigma is not nil, with Tc constrained above every t. At least four points
// are needed for an error (three parameters); level is the confidence of the
// intervals, e.g. 0.9.
func FitCritical(t, y, sigma []float64, level float64) (*Critical, error) {
	n := len(t)
	if n < 3 || len(y) != n || (sigma != nil && len(sigma) != n) {
		return nil, errors.New("fit: need at least 3 points with t and y (and sigma, when given)")
	}
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("fit: confidence level %v outside (0, 1)", level)
	}
	w := make([]float64, n)
	tmax := math.Inf(-1)
	for i := range t {
		w[i] = 1
		if sigma != nil {
			if !(sigma[i] > 0) {
				return nil, fmt.Errorf("fit: bad sigma %v at point %d", sigma[i], i)
			}
			w[i] = 1 / (sigma[i] * sigma[i])
		}
		if math.IsNaN(t[i]) || math.IsNaN(y[i]) || math.IsInf(t[i], 0) || math.IsInf(y[i], 0) {
			return nil, fmt.Errorf("fit: bad point %d: t=%v y=%v", i, t[i], y[i])
		}
		tmax = math.Max(tmax, t[i])
	}
	// Parameters q = (A, u, β) with Tc = tmax + e^u, so that Tc − t > 0.
	tc := func(u float64) float64 { return tmax + math.Exp(u) }
	chi2 := func(q []float64) float64 {
		c := tc(q[1])
		var s float64
		for i := range t {
			r := y[i] - q[0]*math.Pow(c-t[i], q[2])
			s += w[i] * r * r
		}
		return s
	}
	grad := func(g, q []float64) {
		c := tc(q[1])
		g[0], g[1], g[2] = 0, 0, 0
		for i := range t {
			d := c - t[i]
			db := math.Pow(d, q[2])
			r := -2 * w[i] * (y[i] - q[0]*db)
			g[0] += r * db
			g[1] += r * q[0] * q[2] * db / d * math.Exp(q[1])
			g[2] += r * q[0] * db * math.Log(d)
		}
	}
	// Start from several distances to Tc and exponents, A by linear least
	// squares for each, and keep the best minimum.
	best, bestF := []float64(nil), math.Inf(1)
	for _, gap := range []float64{0.005, 0.02, 0.05, 0.1, 0.3, 1} {
		for _, b0 := range []float64{0.125, 0.35} {
			var num, den float64
			for i := range t {
				f := math.Pow(tmax+gap-t[i], b0)
				num, den = num+w[i]*y[i]*f, den+w[i]*f*f
			}
			q0 := []float64{num / den, math.Log(gap), b0}
			settings := &optimize.Settings{GradientThreshold: 1e-12, MajorIterations: 500,
				Converger: &optimize.FunctionConverge{Absolute: 1e-16, Relative: 1e-12, Iterations: 20}}
			res, err := optimize.Minimize(optimize.Problem{Func: chi2, Grad: grad}, q0, settings, &optimize.LBFGS{})
			if res == nil || (err != nil && res.F >= bestF) {
				continue
			}
			if res.F < bestF && !math.IsNaN(res.F) {
				best, bestF = append([]float64(nil), res.X...), res.F
			}
		}
	}
	if best == nil {
		return nil, errors.New("fit: no fit converged")
	}
	out := &Critical{A: best[0], Tc: tc(best[1]), Beta: best[2], Chi2: bestF, Dof: n - 3, Level: level}
	nan := math.NaN()
	out.AErr, out.TcErr, out.BetaErr = nan, nan, nan
	out.ALo, out.AHi, out.TcLo, out.TcHi, out.BetaLo, out.BetaHi = nan, nan, nan, nan, nan, nan
	tmin := math.Inf(1)
	for _, x := range t {
		tmin = math.Min(tmin, x)
	}
	// Within a millionth of the data's span of the edge: the covariance
	// there measures the reparametrisation, not the data.
	if out.Tc-tmax <= 1e-6*math.Max(tmax-tmin, 1e-3) {
		out.Edge = true
		return out, nil
	}
	if out.Dof < 1 {
		return out, nil // an exact fit through three points: no error estimate
	}
	// Covariance in (A, Tc, β): s²(JᵀWJ)⁻¹ with s² = χ²/(n − 3).
	jtj := mat.NewSymDense(3, nil)
	for i := range t {
		d := out.Tc - t[i]
		db := math.Pow(d, out.Beta)
		j := [3]float64{db, out.A * out.Beta * db / d, out.A * db * math.Log(d)}
		for a := 0; a < 3; a++ {
			for b := a; b < 3; b++ {
				jtj.SetSym(a, b, jtj.At(a, b)+w[i]*j[a]*j[b])
			}
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(jtj); err != nil {
		return out, nil
	}
	s2 := bestF / float64(out.Dof)
	out.AErr, out.TcErr, out.BetaErr = math.Sqrt(s2*cov.At(0, 0)), math.Sqrt(s2*cov.At(1, 1)), math.Sqrt(s2*cov.At(2, 2))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(out.Dof)}.Quantile(0.5 + level/2)
	out.ALo, out.AHi = out.A-q*out.AErr, out.A+q*out.AErr
	out.TcLo, out.TcHi = out.Tc-q*out.TcErr, out.Tc+q*out.TcErr
	out.BetaLo, out.BetaHi = out.Beta-q*out.BetaErr, out.Beta+q*out.BetaErr
	return out, nil
}
