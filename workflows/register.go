package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Register adds the workflows to a worker on the shared queue.
func Register(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(MatrixWorkflow, workflow.RegisterOptions{Name: MatrixWorkflowName})
	w.RegisterWorkflowWithOptions(BenchmarkWorkflow, workflow.RegisterOptions{Name: BenchmarkWorkflowName})
	w.RegisterWorkflowWithOptions(PlannerWorkflow, workflow.RegisterOptions{Name: PlannerWorkflowName})
}
