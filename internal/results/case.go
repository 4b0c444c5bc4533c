package results

import (
	"time"

	"plannerbench/schemas"
)

// BuildCase computes a case's summary and timeline from its raw records:
// request outcomes (measured at timeScale from t0, trace time zero),
// metric samples every pull, and the planner's decisions. The GPU figures
// average the samples taken until the last answer came (samplesUntil);
// the timeline keeps every sample.
func BuildCase(recs []schemas.RequestRecord, samples []schemas.Sample, decisions []schemas.Decision, t0 time.Time, timeScale float64, slo SLO, pull time.Duration) (Summary, []schemas.TimelineRow) {
	sum := Summarize(recs, timeScale, slo)
	AddGPUs(&sum, samplesUntil(samples, lastEnd(recs, t0, timeScale)), pull.Seconds())
	return sum, TimelineFromSamples(samples, decisions)
}

// lastEnd is when the last request ended, in trace time since t0 (0: not
// known, no t0 or no request ended).
func lastEnd(recs []schemas.RequestRecord, t0 time.Time, timeScale float64) time.Duration {
	var last time.Time
	for _, r := range recs {
		if r.EndAt.After(last) {
			last = r.EndAt
		}
	}
	if t0.IsZero() || last.IsZero() || timeScale <= 0 {
		return 0
	}
	return time.Duration(float64(last.Sub(t0)) * timeScale)
}

// samplesUntil keeps the samples taken by end (all of them when end is 0).
// A case's GPU figures are its load's: a live collector runs on after the
// last answer while a blocking adjustment the planner began finishes (up
// to a start-up delay), and a replay stops with the last request; counting
// those samples made a live seed run's num_gpu 2.3% lower than the same
// scalings replayed.
func samplesUntil(samples []schemas.Sample, end time.Duration) []schemas.Sample {
	if end <= 0 {
		return samples
	}
	var out []schemas.Sample
	for _, s := range samples {
		if s.At <= end {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return samples
	}
	return out
}
