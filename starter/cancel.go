package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
)

func newCancelCommand() *cobra.Command {
	var tf temporalFlags
	c := &cobra.Command{
		Use:   "cancel MATRIX-ID",
		Short: "Cancel a matrix; its running cases tear their deployments down",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tf.with(cmd.Context(), func(cl client.Client) error {
				if err := cl.CancelWorkflow(cmd.Context(), args[0], ""); err != nil {
					return badInput(fmt.Errorf("cancel %s: %w", args[0], err))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "cancellation requested for %s\n", args[0])
				return nil
			})
		},
	}
	tf.register(c)
	return c
}
