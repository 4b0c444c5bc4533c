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
// request outcomes (measured at timeScale), metric samples every pull, and
// the planner's decisions.
func BuildCase(recs []schemas.RequestRecord, samples []schemas.Sample, decisions []schemas.Decision, timeScale float64, slo SLO, pull time.Duration) (Summary, []schemas.TimelineRow) {
	sum := Summarize(recs, timeScale, slo)
	AddGPUs(&sum, samples, pull.Seconds())
	return sum, TimelineFromSamples(samples, decisions)
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
