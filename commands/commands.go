// Package commands holds the subcommands both binaries carry: `sim` (serve
// and scale the built-in simulated engine) and `etcd serve`. The worker
// re-executes itself with them to start a simulated deployment or an
// external planner's etcd as a process of its own; the CLI offers them to
// users. Each is wired here once.
package commands

import "github.com/spf13/cobra"

// NewSim returns `sim` with its `serve` and `scale` subcommands.
func NewSim() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "The built-in simulated disaggregated engine",
	}
	c.AddCommand(newSimServe(), newSimScale())
	return c
}
