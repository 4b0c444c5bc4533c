package main

import (
	"github.com/spf13/cobra"

	"plannerbench/deploy/sim/simcmd"
)

func newSimCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "The built-in simulated disaggregated engine",
	}
	c.AddCommand(simcmd.NewServeCommand(), simcmd.NewScaleCommand())
	return c
}
