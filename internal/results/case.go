package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"plannerbench/internal/atomicfile"
	"plannerbench/schemas"
)

// SetAsideMark is in the name of a case folder kept aside (DIR.before-TIME)
// because the matrix was resubmitted with another spec for the case.
const SetAsideMark = ".before-"

// CaseFile is a case's spec in its folder.
const CaseFile = "case.json"

// ReadSpec reads dir/case.json, the case's spec; an error names the
// file (a missing one satisfies os.IsNotExist through errors.Is).
func ReadSpec(dir string) (schemas.Case, error) {
	var c schemas.Case
	path := filepath.Join(dir, CaseFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read case %s: %w", dir, err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// CaseFiles are a finished case's derived results.
type CaseFiles struct {
	// Spec becomes case.json; nil writes none (a bare `plannerbench load`).
	Spec *schemas.Case
	// Summary becomes summary.json.
	Summary Summary
	// Timeline becomes timeline.parquet and tensorboard/; empty writes neither.
	Timeline []schemas.TimelineRow
	// T0 is the wall time of trace time zero, TensorBoard's clock.
	T0 time.Time
}

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

// WriteCase writes a finished case's files into dir, summary.json last: its
// presence is what marks a case complete (a resubmitted matrix skips it,
// `plannerbench report` reads it).
func WriteCase(dir string, c CaseFiles) error {
	if len(c.Timeline) > 0 {
		if err := WriteTimeline(TimelinePath(dir), c.Timeline); err != nil {
			return err
		}
		if _, err := WriteTensorBoard(filepath.Join(dir, TensorBoardDir), c.T0, c.Timeline); err != nil {
			return fmt.Errorf("tensorboard of %s: %w", dir, err)
		}
	}
	if c.Spec != nil {
		if err := atomicfile.WriteJSON(filepath.Join(dir, CaseFile), c.Spec); err != nil {
			return err
		}
	}
	if !c.T0.IsZero() {
		c.Summary.T0 = c.T0
	}
	return WriteSummary(dir, c.Summary)
}
