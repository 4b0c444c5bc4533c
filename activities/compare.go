package activities

import (
	"context"
	"fmt"
	"path/filepath"

	"plannerbench/activities/payload"
	"plannerbench/internal/report"
)

// CompareCases writes the matrix's comparison.json from its cases' results
// (with a bucket: the bucket's copies, wherever the cases ran) and, with a
// bucket, publishes the report's files beside the cases.
func (a *Activities) CompareCases(ctx context.Context, in payload.CompareInput) (payload.ComparisonRef, error) {
	dir := filepath.Join(a.ResultsDir, in.Matrix)
	var cases []report.Case
	for _, o := range in.Cases {
		if o.Result == nil {
			cases = append(cases, report.Case{ID: o.ID, Spec: o.Spec, Status: o.Status, Error: o.Error})
			continue
		}
		caseDir := o.Result.Dir
		if a.Bucket != nil {
			// The case may have run on another node: read the bucket's
			// copy (a case no bucket holds is read where it was written).
			local := payload.CaseDir(a.ResultsDir, in.Matrix, o.ID)
			published, err := a.fetchPublished(ctx, in.Matrix, o.ID, local)
			if err != nil {
				return payload.ComparisonRef{}, err
			}
			if published {
				caseDir = local
			}
		}
		c, err := report.LoadCase(caseDir)
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
	if a.Bucket != nil {
		if err := a.Bucket.PublishFiles(ctx, dir, in.Matrix); err != nil {
			return payload.ComparisonRef{}, fmt.Errorf("report of %s: %w", in.Matrix, err)
		}
	}
	return payload.ComparisonRef{Dir: dir, Comparison: filepath.Join(dir, report.ComparisonFile), Report: filepath.Join(dir, report.ReportFile)}, nil
}
