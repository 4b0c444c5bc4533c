package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities"
)

// Register adds the workflows to a worker on the shared queue.
func Register(w worker.Registry) {
	w.RegisterWorkflowWithOptions(MatrixWorkflow, workflow.RegisterOptions{Name: MatrixWorkflowName})
	w.RegisterWorkflowWithOptions(BenchmarkWorkflow, workflow.RegisterOptions{Name: BenchmarkWorkflowName})
	w.RegisterWorkflowWithOptions(PlannerWorkflow, workflow.RegisterOptions{Name: PlannerWorkflowName})
}

// RegisterActivities adds the activities (every worker registers all of
// them; the task queue decides where each runs).
func RegisterActivities(w worker.Registry, a *activities.Activities) {
	w.RegisterActivityWithOptions(a, activity.RegisterOptions{})
}
