package main

import "github.com/spf13/cobra"

func newTraceCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "trace",
		Short: "Synthesize and inspect mooncake-format traces",
	}
	c.AddCommand(newTraceSynthCommand(), newTraceStatsCommand())
	return c
}
