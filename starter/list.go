package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"

	"plannerbench/workflows"
)

func newListCommand() *cobra.Command {
	var tf temporalFlags
	var out outputFormat
	c := &cobra.Command{
		Use:   "list",
		Short: "List matrices, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			cl, err := tf.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			resp, err := cl.ListWorkflow(cmd.Context(), &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: tf.conn.Namespace, Query: fmt.Sprintf("WorkflowType = '%s'", workflows.MatrixWorkflowName), PageSize: 100,
			})
			if err != nil {
				return fmt.Errorf("list matrices: %w", err)
			}
			type row struct {
				ID     string    `json:"id"`
				Status string    `json:"status"`
				Start  time.Time `json:"start"`
				Close  time.Time `json:"close,omitempty"`
			}
			var rows []row
			for _, e := range resp.GetExecutions() {
				r := row{ID: e.GetExecution().GetWorkflowId(), Status: statusName(e.GetStatus()), Start: e.GetStartTime().AsTime()}
				if e.GetCloseTime() != nil {
					r.Close = e.GetCloseTime().AsTime()
				}
				rows = append(rows, r)
			}
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			t := newTable(cmd.OutOrStdout())
			fmt.Fprintln(t, "MATRIX\tSTATUS\tSTARTED\tCLOSED")
			for _, r := range rows {
				closed := "-"
				if !r.Close.IsZero() {
					closed = r.Close.Local().Format(time.DateTime)
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Start.Local().Format(time.DateTime), closed)
			}
			return t.Flush()
		},
	}
	tf.register(c)
	out.register(c.Flags())
	return c
}
