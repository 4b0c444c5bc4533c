package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCancelCommand() *cobra.Command {
	var tf temporalFlags
	c := &cobra.Command{
		Use:   "cancel MATRIX-ID",
		Short: "Cancel a matrix; its running cases tear their deployments down",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := tf.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			if err := cl.CancelWorkflow(cmd.Context(), args[0], ""); err != nil {
				return badInput(fmt.Errorf("cancel %s: %w", args[0], err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cancellation requested for %s\n", args[0])
			return nil
		},
	}
	tf.register(c)
	return c
}
