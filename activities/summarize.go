package activities

import (
	"context"
	"fmt"
	"path/filepath"

	"plannerbench/activities/payload"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/results"
)

// Summarize turns a case's raw files (request and GPU parts, samples.jsonl,
// decisions.jsonl) into its results: requests.parquet and gpu.parquet,
// summary.json, timeline.parquet, tensorboard/, the AIPerf exports and
// case.json; with a bucket, it then publishes the folder there.
func (a *Activities) Summarize(ctx context.Context, in payload.SummarizeInput) (payload.ResultRef, error) {
	dir := a.caseDir(in.Case)
	// The load and the GPU sampler have stopped: their parts become one
	// file a table (safe to repeat when this activity is retried).
	if err := results.CompactCase(ctx, dir); err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	recs, err := results.ReadRequests(ctx, filepath.Join(dir, results.RequestsDir))
	if err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	samples, err := results.ReadSamples(filepath.Join(dir, payload.SamplesFile))
	if err != nil {
		return payload.ResultRef{}, err
	}
	decisions, err := results.ReadDecisions(filepath.Join(dir, payload.DecisionsFile))
	if err != nil {
		return payload.ResultRef{}, err
	}
	sum, rows := results.BuildCase(recs, samples, decisions, in.T0, in.TimeScale, results.SLOFrom(in.Spec.SLO), in.Spec.Planner.MetricPullingInterval.D())
	if gpus, err := results.ReadGPU(ctx, filepath.Join(dir, results.GPUDir)); err == nil {
		sum.Energy = results.EnergyOf(gpus, recs)
	}
	spec := in.Spec
	if err := aiperf.WriteCase(dir, aiperf.Info{CaseID: spec.ID, Model: spec.Model, Worker: a.Node, Spec: &spec}, sum, recs); err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	if err := results.WriteCase(dir, results.CaseFiles{Spec: &spec, Summary: sum, Timeline: rows, T0: in.T0}); err != nil {
		return payload.ResultRef{}, err
	}
	if err := a.publish(ctx, in.Case.Matrix, in.Case.Case, dir); err != nil {
		return payload.ResultRef{}, fmt.Errorf("summarize %s: %w", dir, err)
	}
	return payload.ResultRef{Dir: dir, Rows: len(recs)}, nil
}
