package planner

import (
	"fmt"
	"math"

	"plannerbench/schemas"
)

// Predictor forecasts the next value of a series from its history (oldest
// first). Every predictor returns the last value for a history of one.
type Predictor interface {
	Predict(history []float64) float64
}

// PredictorFunc adapts a function to Predictor.
type PredictorFunc func(history []float64) float64

// Predict calls f.
func (f PredictorFunc) Predict(h []float64) float64 { return f(h) }

// Constant predicts the last observation.
func Constant() Predictor {
	return PredictorFunc(func(h []float64) float64 {
		if len(h) == 0 {
			return 0
		}
		return h[len(h)-1]
	})
}

// MovingAverage predicts the mean of the last window observations.
func MovingAverage(window int) Predictor {
	return PredictorFunc(func(h []float64) float64 {
		if len(h) == 0 {
			return 0
		}
		return schemas.Mean(h[max(0, len(h)-window):])
	})
}

// Holt is double exponential smoothing: a level and a trend, each updated
// with its own smoothing factor; the forecast is one step ahead along the
// trend, so it leads a steadily rising or falling series.
func Holt(alpha, beta float64) Predictor {
	return PredictorFunc(func(h []float64) float64 {
		switch len(h) {
		case 0:
			return 0
		case 1:
			return h[0]
		}
		level, trend := h[0], h[1]-h[0]
		for _, x := range h[1:] {
			prev := level
			level = alpha*x + (1-alpha)*(level+trend)
			trend = beta*(level-prev) + (1-beta)*trend
		}
		return math.Max(0, level+trend)
	})
}

// Kalman is a constant-velocity Kalman filter (state: value and rate of
// change) with process noise q and measurement noise r; the forecast is the
// filtered state propagated one step.
func Kalman(q, r float64) Predictor {
	return PredictorFunc(func(h []float64) float64 {
		if len(h) == 0 {
			return 0
		}
		x, v := h[0], 0.0
		p00, p01, p11 := r, 0.0, r
		for _, z := range h[1:] {
			// predict: x' = x + v, P' = F P Fᵀ + Q
			x += v
			p00, p01, p11 = p00+2*p01+p11+q, p01+p11, p11+q
			// update with measurement z of x
			s := p00 + r
			k0, k1 := p00/s, p01/s
			y := z - x
			x += k0 * y
			v += k1 * y
			p00, p01, p11 = (1-k0)*p00, (1-k0)*p01, p11-k1*p01
		}
		return math.Max(0, x+v)
	})
}

// NewPredictor returns the predictor a planner configuration names.
func NewPredictor(cfg schemas.PlannerConfig) (Predictor, error) {
	switch cfg.Predictor {
	case schemas.PredictorConstant:
		return Constant(), nil
	case schemas.PredictorMovingAverage:
		return MovingAverage(cfg.PredictorWindow), nil
	case schemas.PredictorHolt:
		return Holt(0.5, 0.5), nil
	case schemas.PredictorKalman:
		return Kalman(0.1, 1), nil
	}
	return nil, fmt.Errorf("unknown predictor %q", cfg.Predictor)
}
