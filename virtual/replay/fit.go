package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// FitPrefill fits one constant: the factor by which a profile's prefill
// polynomial is scaled so that a replay of Options (the baseline case, a
// fixed deployment) gives a target average request latency. The TP1
// prefill cost is the least certain constant of the shipped profiles
// (they divide a TP4 measurement by 4, an upper bound), and with every
// prefill remote it sets the baseline's queueing. Latency rises with the
// factor (a slower prefill queues more), so a bisection finds it; no
// library offers a one-dimensional root finder over a black box (gonum's
// optimize minimizes), hence the dozen lines here.
type FitPrefill struct {
	// Replay is the baseline case; its Profile is the base.
	Replay Options
	// TargetLatencyMS is the published average request latency.
	TargetLatencyMS float64
	// Lo and Hi bracket the factor (default 0.2 and 2).
	Lo, Hi float64
}

// FitStep is one replay of the search.
type FitStep struct {
	Scale     float64 `json:"scale"`
	LatencyMS float64 `json:"latency_ms"`
}

// FitResult is the fitted factor and the replay at it.
type FitResult struct {
	Scale float64   `json:"scale"`
	Steps []FitStep `json:"steps"`
	// At is the baseline replayed with the fitted profile.
	At *Result `json:"-"`
}

// ErrNotBracketed: the target latency is outside what the bracket gives.
var ErrNotBracketed = errors.New("the target latency is not reached within the factor's bracket")

// Run searches for the factor to within 0.1% of the target latency (or a
// factor interval of 1e-4).
func (f FitPrefill) Run(ctx context.Context) (FitResult, error) {
	lo, hi := f.Lo, f.Hi
	if lo <= 0 {
		lo = 0.2
	}
	if hi <= lo {
		hi = 2
	}
	var res FitResult
	eval := func(s float64) (float64, *Result, error) {
		opts := f.Replay
		p := *opts.Profile
		p.PrefillMS = make([]float64, len(opts.Profile.PrefillMS))
		for i, c := range opts.Profile.PrefillMS {
			p.PrefillMS[i] = c * s
		}
		opts.Profile = &p
		r, err := Run(ctx, opts)
		if err != nil {
			return 0, nil, err
		}
		lat := r.Summary.AvgRequestLatencyMS
		res.Steps = append(res.Steps, FitStep{Scale: s, LatencyMS: lat})
		return lat, r, nil
	}
	for _, s := range []float64{lo, hi} {
		lat, _, err := eval(s)
		if err != nil {
			return res, err
		}
		if (s == lo && lat > f.TargetLatencyMS) || (s == hi && lat < f.TargetLatencyMS) {
			return res, fmt.Errorf("%w: factor %.3g gives %.1f ms against %.1f ms", ErrNotBracketed, s, lat, f.TargetLatencyMS)
		}
	}
	for i := 0; i < 60; i++ {
		mid := (lo + hi) / 2
		lat, r, err := eval(mid)
		if err != nil {
			return res, err
		}
		res.Scale, res.At = mid, r
		if math.Abs(lat-f.TargetLatencyMS) <= 0.001*f.TargetLatencyMS || hi-lo < 1e-4 {
			break
		}
		if lat < f.TargetLatencyMS {
			lo = mid
		} else {
			hi = mid
		}
	}
	return res, nil
}
