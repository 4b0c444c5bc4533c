package activities

import (
	"context"
	"fmt"
	"path/filepath"

	"plannerbench/activities/payload"
	"plannerbench/internal/report"
)

// CompareCases writes the matrix's comparison.json from its cases' results.
func (a *Activities) CompareCases(ctx context.Context, in payload.CompareInput) (payload.ComparisonRef, error) {
	dir := filepath.Join(a.ResultsDir, in.Matrix)
	var cases []report.Case
	for _, o := range in.Cases {
		if o.Result == nil {
			cases = append(cases, report.Case{ID: o.ID, Spec: o.Spec, Status: o.Status, Error: o.Error})
			continue
		}
		c, err := report.LoadCase(o.Result.Dir)
		if err != nil {
			cases = append(cases, report.Case{ID: o.ID, Spec: o.Spec, Status: "failed", Error: err.Error()})
			continue
		}
		c.Status = o.Status
		cases = append(cases, c)
	}
	if _, err := report.BuildFrom(ctx, dir, cases, in.Baseline); err != nil {
		return payload.ComparisonRef{}, fmt.Errorf("report of %s: %w", in.Matrix, err)
	}
	return payload.ComparisonRef{Dir: dir, Comparison: filepath.Join(dir, report.ComparisonFile), Report: filepath.Join(dir, report.ReportFile)}, nil
}
