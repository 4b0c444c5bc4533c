package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities/payload"
	"plannerbench/schemas"
)

// Activity options. Every activity has a StartToClose timeout and a bounded
// retry policy; validation errors are never retried; node-bound activities
// have a ScheduleToStart timeout so a dead node is noticed.
func retry(attempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		MaximumAttempts:        attempts,
		NonRetryableErrorTypes: []string{payload.ErrValidation, payload.ErrUnsupported, payload.ErrScaleRefused},
	}
}

func sharedOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: payload.SharedQueue, StartToCloseTimeout: time.Minute, RetryPolicy: retry(5),
		WaitForCancellation: waitsForCancellation(ctx),
	})
}

func nodeOptions(ctx workflow.Context, queue string, startToClose, heartbeat time.Duration, attempts int32) workflow.Context {
	lostAfter := schemas.DefaultNodeLostAfter
	if d, ok := ctx.Value(nodeLostAfterKey{}).(time.Duration); ok && d > 0 {
		lostAfter = d
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              queue,
		ScheduleToStartTimeout: lostAfter,
		StartToCloseTimeout:    startToClose,
		HeartbeatTimeout:       heartbeat,
		RetryPolicy:            retry(attempts),
		WaitForCancellation:    waitsForCancellation(ctx),
	})
}

// nodeLostAfterKey marks a workflow context with its case's
// node_lost_after: how long a node-bound activity may wait to be picked
// up before the node counts as lost.
type nodeLostAfterKey struct{}

// withNodeLostAfter sets it (0 keeps the default).
func withNodeLostAfter(ctx workflow.Context, d time.Duration) workflow.Context {
	return workflow.WithValue(ctx, nodeLostAfterKey{}, d)
}

// waitForCancellationChange versions waiting for cancelled activities:
// from version 1 every activity a workflow cancels (the metric collector
// when the load ends; all of them when a benchmark is cancelled) is waited
// for until it has stopped (WaitForCancellation), so that no workflow
// closes with an activity still pending: the Temporal UI shows one as
// running, and its worker may still be writing into the case folder.
// Histories from before the change replay without it.
const waitForCancellationChange = "wait-for-cancellation"

// cancelWaitKey marks a workflow context whose activities wait for their
// cancellation.
type cancelWaitKey struct{}

// waitingForCancellation returns ctx with cancelled activities waited for,
// unless the history predates the change. Call it first thing in a
// workflow.
func waitingForCancellation(ctx workflow.Context) workflow.Context {
	if workflow.GetVersion(ctx, waitForCancellationChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return ctx
	}
	return workflow.WithValue(ctx, cancelWaitKey{}, true)
}

// waitsForCancellation reports whether ctx came from waitingForCancellation.
func waitsForCancellation(ctx workflow.Context) bool {
	wait, _ := ctx.Value(cancelWaitKey{}).(bool)
	return wait
}
