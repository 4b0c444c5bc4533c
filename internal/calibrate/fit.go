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
}

// ErrTooFewPoints says the data cannot determine the polynomial.
var ErrTooFewPoints = errors.New("too few distinct points")

// fitPolynomial fits y = c0 + c1 x + … + c_degree x^degree by least squares
// (QR), lowering the degree when there are fewer distinct x values than
// coefficients.
func fitPolynomial(name string, x, y []float64, degree int) (Fit, error) {
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
	b := mat.NewVecDense(n, y)
	for i, v := range x {
		p := 1.0
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
