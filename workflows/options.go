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
	})
}

func nodeOptions(ctx workflow.Context, queue string, startToClose, heartbeat time.Duration, attempts int32) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              queue,
		ScheduleToStartTimeout: 2 * time.Minute,
		StartToCloseTimeout:    startToClose,
		HeartbeatTimeout:       heartbeat,
		RetryPolicy:            retry(attempts),
	})
}
