package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"plannerbench/workflows"
)

// matrixStatus is what status prints: the matrix and each case's progress.
type matrixStatus struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Cases  []caseStatus `json:"cases"`
}

type caseStatus struct {
	workflows.CaseStatus
	Progress *workflows.CaseProgress `json:"progress,omitempty"`
}

func newStatusCommand() *cobra.Command {
	var tf temporalFlags
	var out outputFormat
	c := &cobra.Command{
		Use:   "status MATRIX-ID",
		Short: "Show a matrix's cases: stage, requests sent, workers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			return tf.with(cmd.Context(), func(cl client.Client) error {
				st, err := getStatus(cmd.Context(), cl, args[0])
				if err != nil {
					return err
				}
				if out.json() {
					return writeJSON(cmd.OutOrStdout(), st)
				}
				return printStatus(cmd.OutOrStdout(), st)
			})
		},
	}
	tf.register(c)
	out.register(c.Flags())
	return c
}

// getStatus describes the matrix and queries its cases' progress.
func getStatus(ctx context.Context, cl client.Client, id string) (matrixStatus, error) {
	desc, err := cl.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return matrixStatus{}, badInput(fmt.Errorf("no matrix %s: %w", id, err))
	}
	st := matrixStatus{ID: id, Status: statusName(desc.GetWorkflowExecutionInfo().GetStatus())}
	var mp workflows.MatrixProgress
	q, err := cl.QueryWorkflow(ctx, id, "", workflows.ProgressQuery)
	if err != nil {
		return st, fmt.Errorf("query %s (is a worker running?): %w", id, err)
	}
	if err := q.Get(&mp); err != nil {
		return st, err
	}
	for _, c := range mp.Cases {
		cs := caseStatus{CaseStatus: c}
		if c.Status == "running" || c.Status == "failed" || c.Status == "cancelled" {
			if q, err := cl.QueryWorkflow(ctx, c.WorkflowID, "", workflows.ProgressQuery); err == nil {
				var p workflows.CaseProgress
				if q.Get(&p) == nil {
					cs.Progress = &p
				}
			}
		}
		st.Cases = append(st.Cases, cs)
	}
	return st, nil
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "cancelled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed out"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued"
	}
	return "unknown"
}

func printStatus(w io.Writer, st matrixStatus) error {
	fmt.Fprintf(w, "%s: %s\n", st.ID, st.Status)
	t := newTable(w)
	fmt.Fprintln(t, "CASE\tSTATUS\tSTAGE\tSENT\tDONE\tERRORS\tLATENESS P99\tWORKERS (P+D READY, STARTING)\tGPUS")
	for _, c := range st.Cases {
		stage, sent, done, errs, late, workers, gpus := "-", "-", "-", "-", "-", "-", "-"
		if p := c.Progress; p != nil {
			g := p.Progress
			stage = p.Stage
			sent, done, errs = fmt.Sprintf("%d/%d", g.Sent, g.Total), fmt.Sprint(g.Done), fmt.Sprint(g.Errors)
			late = fmt.Sprintf("%.2fms", g.LatenessP99MS)
			workers = fmt.Sprintf("%d+%d, %d+%d", g.Workers.PrefillReady, g.Workers.DecodeReady, g.Workers.PrefillStarting, g.Workers.DecodeStarting)
			gpus = fmt.Sprint(g.Workers.NumGPU)
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Status, stage, sent, done, errs, late, workers, gpus)
	}
	return t.Flush()
}
