// Package calibrate fits a simulator profile's timing to measurements: a
// benchmark run's records (requests and timeline) or the .npz files of
// Dynamo's pre-deployment profiler. Only the timing polynomials (and, from
// the profiler, the KV capacity) are fitted; every other constant comes
// from a base profile.
package calibrate

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"plannerbench/schemas"
)

// Fit is one least-squares polynomial fit and how well it explains its
// points.
type Fit struct {
	// What is fitted, for messages: "prefill_ms vs tokens".
	Name   string             `json:"name"`
	Coeffs schemas.Polynomial `json:"coeffs"`
	// R2 is the coefficient of determination; RMSE the root mean square
	// residual, in the points' unit (ms).
	R2     float64 `json:"r2"`
	RMSE   float64 `json:"rmse"`
	Points int     `json:"points"`
	// X and Y are the points the fit used (for the plot).
	X []float64 `json:"-"`
	Y []float64 `json:"-"`
	// MinX and MaxX bound the fitted range.
	MinX float64 `json:"min_x"`
	MaxX float64 `json:"max_x"`
	// Shape says what was fitted: "quadratic", "linear", or "base shape
	// scaled" (Scale times the base profile's polynomial).
	Shape string  `json:"shape"`
	Scale float64 `json:"scale,omitempty"`
	// Intervals are 95% bootstrap intervals (over requests) of each
	// coefficient, or of Scale alone for a scaled shape.
	Intervals [][2]float64 `json:"intervals"`
	// bands are the curve's 95% bootstrap band at a few x.
	bands []band
}

// band is a fitted curve's bootstrap interval at x.
type band struct{ x, lo, hi float64 }

// ErrTooFewPoints says the data cannot determine the polynomial.
var ErrTooFewPoints = errors.New("too few distinct points")

// fitPolynomial fits y = c0 + c1 x + … + c_degree x^degree by least squares
// (QR), lowering the degree when there are fewer distinct x values than
// coefficients.
func fitPolynomial(name string, x, y []float64, degree int) (Fit, error) {
	return fitWeighted(name, x, y, nil, degree)
}

// fitWeighted is fitPolynomial with a weight for each point (nil: all 1),
// least squares on rows scaled by the weights' square roots.
func fitWeighted(name string, x, y, w []float64, degree int) (Fit, error) {
	distinct := map[float64]bool{}
	for _, v := range x {
		distinct[v] = true
	}
	degree = min(degree, len(distinct)-1)
	if degree < 0 || len(x) == 0 {
		return Fit{}, fmt.Errorf("%s: %w (%d points)", name, ErrTooFewPoints, len(x))
	}
	n, k := len(x), degree+1
	a := mat.NewDense(n, k, nil)
	b := mat.NewVecDense(n, nil)
	for i, v := range x {
		sw := 1.0
		if w != nil {
			sw = math.Sqrt(w[i])
		}
		b.SetVec(i, sw*y[i])
		p := sw
		for j := 0; j < k; j++ {
			a.Set(i, j, p)
			p *= v
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var c mat.VecDense
	if err := qr.SolveVecTo(&c, false, b); err != nil {
		return Fit{}, fmt.Errorf("%s: least squares: %w", name, err)
	}
	f := Fit{Name: name, Points: n, X: x, Y: y, MinX: math.Inf(1), MaxX: math.Inf(-1)}
	for j := 0; j < k; j++ {
		f.Coeffs = append(f.Coeffs, c.AtVec(j))
	}
	var mean, ssRes, ssTot float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	for i, v := range x {
		r := y[i] - f.Coeffs.At(v)
		ssRes += r * r
		ssTot += (y[i] - mean) * (y[i] - mean)
		f.MinX, f.MaxX = math.Min(f.MinX, v), math.Max(f.MaxX, v)
	}
	f.RMSE = math.Sqrt(ssRes / float64(n))
	f.R2 = 1
	if ssTot > 0 {
		f.R2 = 1 - ssRes/ssTot
	}
	return f, nil
}

// fitScale fits y = k · base(x) by least squares through the origin: the
// base profile's shape, scaled, for data that cannot tell a shape (one
// prompt length).
func fitScale(name string, x, y []float64, base schemas.Polynomial) (Fit, float64, error) {
	var num, den float64
	for i, v := range x {
		b := base.At(v)
		num += b * y[i]
		den += b * b
	}
	if len(x) == 0 || den == 0 {
		return Fit{}, 0, fmt.Errorf("%s: %w (%d points)", name, ErrTooFewPoints, len(x))
	}
	k := num / den
	f := Fit{Name: name, Points: len(x), X: x, Y: y, MinX: math.Inf(1), MaxX: math.Inf(-1)}
	for _, c := range base {
		f.Coeffs = append(f.Coeffs, k*c)
	}
	var mean, ssRes, ssTot float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	for i, v := range x {
		r := y[i] - f.Coeffs.At(v)
		ssRes += r * r
		ssTot += (y[i] - mean) * (y[i] - mean)
		f.MinX, f.MaxX = math.Min(f.MinX, v), math.Max(f.MaxX, v)
	}
	f.RMSE = math.Sqrt(ssRes / float64(len(x)))
	f.R2 = 1
	if ssTot > 0 {
		f.R2 = 1 - ssRes/ssTot
	}
	return f, k, nil
}
