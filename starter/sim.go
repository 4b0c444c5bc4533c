package main

import "github.com/spf13/cobra"

func newSimCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "The built-in simulated disaggregated engine",
	}
	c.AddCommand(newSimServeCommand())
	return c
}
