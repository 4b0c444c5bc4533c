package activities

import (
	"context"
	"fmt"
	"path/filepath"

	"plannerbench/internal/results"
)

// Summarize turns a case's raw files (request parts, samples.jsonl,
// decisions.jsonl) into its results: summary.json, timeline.parquet,
// tensorboard/ and case.json.
func (a *Activities) Summarize(ctx context.Context, in SummarizeInput) (ResultRef, error) {
	dir := a.caseDir(in.Case)
	recs, err := results.ReadRequests(ctx, filepath.Join(dir, results.RequestsDir))
	if err != nil {
		return ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	samples, err := readSamples(filepath.Join(dir, SamplesFile))
	if err != nil {
		return ResultRef{}, err
	}
	decisions, err := ReadDecisions(filepath.Join(dir, DecisionsFile))
	if err != nil {
		return ResultRef{}, err
	}
	rows := results.TimelineFromSamples(samples, decisions)
	sum := results.Summarize(recs, in.TimeScale, results.SLOFrom(in.Spec.SLO))
	results.AddGPUs(&sum, samples, in.Spec.Planner.MetricPullingInterval.D().Seconds())
	if err := results.WriteTimeline(results.TimelinePath(dir), rows); err != nil {
		return ResultRef{}, err
	}
	if _, err := results.WriteTensorBoard(filepath.Join(dir, results.TensorBoardDir), in.T0, rows); err != nil {
		return ResultRef{}, err
	}
	if err := results.WriteJSON(filepath.Join(dir, "case.json"), in.Spec); err != nil {
		return ResultRef{}, err
	}
	if err := results.WriteSummary(dir, sum); err != nil {
		return ResultRef{}, err
	}
	return ResultRef{Dir: dir, Rows: len(recs)}, nil
}
