package main

import (
	"fmt"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"plannerbench/workflows"
)

func newRerunCommand() *cobra.Command {
	var tf temporalFlags
	var wait bool
	c := &cobra.Command{
		Use:   "rerun MATRIX-ID",
		Short: "Run a finished matrix again: only its cases without results run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cl, err := tf.dial(ctx)
			if err != nil {
				return err
			}
			defer cl.Close()
			iter := cl.GetWorkflowHistory(ctx, args[0], "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			if !iter.HasNext() {
				return badInput(fmt.Errorf("no matrix %s", args[0]))
			}
			first, err := iter.Next()
			if err != nil {
				return badInput(fmt.Errorf("no matrix %s: %w", args[0], err))
			}
			started := first.GetWorkflowExecutionStartedEventAttributes()
			if started == nil {
				return fmt.Errorf("%s: the history does not start with the workflow's input", args[0])
			}
			var in workflows.MatrixInput
			if err := converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), &in); err != nil {
				return fmt.Errorf("%s: read input: %w", args[0], err)
			}
			id, err := startMatrix(cmd, cl, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restarted %s: cases with results are reused\nweb UI: %s\n", id, tf.uiLink(id))
			if !wait {
				return nil
			}
			return followAndReport(cmd, cl, id)
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&wait, "wait", false, "watch it, then print the results")
	return c
}
