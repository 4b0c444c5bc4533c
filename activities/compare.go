package activities

import (
	"context"
	"path/filepath"

	"plannerbench/internal/report"
	"plannerbench/internal/results"
)

// CompareCases writes the matrix's comparison.json from its cases' results.
func (a *Activities) CompareCases(ctx context.Context, in CompareInput) (ComparisonRef, error) {
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
	cmp, err := report.Compare(in.Matrix, cases, in.Baseline)
	if err != nil {
		return ComparisonRef{}, asValidation(err)
	}
	path := filepath.Join(dir, report.ComparisonFile)
	if err := results.WriteJSON(path, cmp); err != nil {
		return ComparisonRef{}, err
	}
	return ComparisonRef{Dir: dir, Comparison: path}, nil
}
