package activities

import (
	"context"
	"fmt"

	"plannerbench/activities/payload"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
)

// Summarize turns a case's raw files (request and GPU parts, samples.jsonl,
// decisions.jsonl) into its results: requests.parquet and gpu.parquet,
// summary.json, timeline.parquet, tensorboard/, the AIPerf exports and
// case.json; with a bucket, it then publishes the folder there.
func (a *Activities) Summarize(ctx context.Context, in payload.SummarizeInput) (payload.ResultRef, error) {
	dir := a.caseDir(in.Case)
	spec := in.Spec
	_, rows, err := casefolder.Finish(ctx, dir, casefolder.Run{
		Info:      aiperf.Info{CaseID: spec.ID, Model: spec.Model, Worker: a.Node, Spec: &spec},
		T0:        in.T0,
		TimeScale: in.TimeScale,
		SLO:       results.SLOFrom(spec.SLO),
		Pull:      spec.Planner.MetricPullingInterval.D(),
	})
	if err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize: %w", err)
	}
	if err := a.publish(ctx, in.Case.Matrix, in.Case.Case, dir); err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	return payload.ResultRef{Dir: dir, Rows: rows}, nil
}
