package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities/payload"
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
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              queue,
		ScheduleToStartTimeout: 2 * time.Minute,
		StartToCloseTimeout:    startToClose,
		HeartbeatTimeout:       heartbeat,
		RetryPolicy:            retry(attempts),
		WaitForCancellation:    waitsForCancellation(ctx),
	})
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
