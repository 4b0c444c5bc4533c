package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities/payload"
)

// MatrixWorkflow runs a validated matrix: each case as a child
// BenchmarkWorkflow, at most MaxParallel at once, skipping cases whose
// results already exist (so resubmitting reruns only what failed). A failed
// case never fails the matrix; the result lists every outcome and the
// comparison's reference.
func MatrixWorkflow(ctx workflow.Context, in MatrixInput) (MatrixResult, error) {
	ctx = waitingForCancellation(ctx)
	progress := MatrixProgress{Matrix: in.Name}
	for _, c := range in.Cases {
		progress.Cases = append(progress.Cases, CaseStatus{ID: c.ID, WorkflowID: CaseID(in.Name, c.ID), Status: "pending"})
	}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (MatrixProgress, error) { return progress, nil }); err != nil {
		return MatrixResult{}, err
	}
	ids := make([]string, len(in.Cases))
	for i, c := range in.Cases {
		ids[i] = c.ID
	}
	var reused map[string]payload.ResultRef
	if err := workflow.ExecuteActivity(sharedOptions(ctx), payload.FindCompletedActivity, payload.FindCompletedInput{Matrix: in.Name, Cases: ids, Specs: in.Cases}).Get(ctx, &reused); err != nil {
		return MatrixResult{}, err
	}
	outcomes := make([]payload.CaseOutcome, len(in.Cases))
	sem := workflow.NewSemaphore(ctx, int64(max(in.MaxParallel, 1)))
	wg := workflow.NewWaitGroup(ctx)
	for i, c := range in.Cases {
		outcomes[i] = payload.CaseOutcome{ID: c.ID, Spec: c}
		if ref, ok := reused[c.ID]; ok {
			outcomes[i].Status = "reused"
			outcomes[i].Result = &ref
			progress.Cases[i].Status = "reused"
			continue
		}
		wg.Add(1)
		workflow.Go(ctx, func(gctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(gctx, 1); err != nil { // only a cancelled matrix
				outcomes[i].Status, outcomes[i].Error = outcomeOf(err), err.Error()
				progress.Cases[i].Status = outcomes[i].Status
				return
			}
			defer sem.Release(1)
			progress.Cases[i].Status = "running"
			cctx := workflow.WithChildOptions(gctx, workflow.ChildWorkflowOptions{
				WorkflowID:        CaseID(in.Name, c.ID),
				TaskQueue:         payload.SharedQueue,
				ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
				StaticSummary:     c.ID + ": " + c.Deployment.String() + " " + c.Planner.Mode,
				// A cancelled matrix waits for its cases to end (options.go).
				WaitForCancellation: waitsForCancellation(gctx),
			})
			var res BenchmarkResult
			if err := workflow.ExecuteChildWorkflow(cctx, BenchmarkWorkflowName, BenchmarkInput{Case: c}).Get(gctx, &res); err != nil {
				outcomes[i].Status, outcomes[i].Error = outcomeOf(err), err.Error()
				progress.Cases[i].Status, progress.Cases[i].Error = outcomes[i].Status, err.Error()
				return
			}
			outcomes[i].Status, outcomes[i].Result = "completed", &res.Result
			progress.Cases[i].Status = "completed"
		})
	}
	wg.Wait(ctx)
	result := MatrixResult{Cases: outcomes}
	for _, o := range outcomes {
		if o.Status == "failed" {
			result.Failed++
		}
	}
	if err := ctx.Err(); err != nil { // cancelled: no comparison, and the matrix ends cancelled
		return result, err
	}
	var cmp payload.ComparisonRef
	cctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: payload.SharedQueue, StartToCloseTimeout: 5 * time.Minute, RetryPolicy: retry(3),
	})
	if err := workflow.ExecuteActivity(cctx, payload.CompareCasesActivity, payload.CompareInput{Matrix: in.Name, Cases: result.Cases, Baseline: in.Baseline}).Get(ctx, &cmp); err != nil {
		workflow.GetLogger(ctx).Warn("comparison failed", "error", err)
	} else {
		result.Comparison = &cmp
	}
	return result, nil
}

// outcomeOf names how a case that returned err ended: "cancelled" when the
// matrix (or the case) was cancelled, "failed" otherwise.
func outcomeOf(err error) string {
	if temporal.IsCanceledError(err) {
		return "cancelled"
	}
	return "failed"
}
