package commands

import (
	"os"

	"github.com/spf13/cobra"
)

// ActAs makes a test binary act as the worker re-executing itself with
// cmd (NewSim, NewEtcd) when the environment variable env is "1": it runs
// cmd on the process's arguments and exits. A test's TestMain calls it
// first, so that what the test starts as `EXE sim serve …` runs the real
// subcommand; otherwise it returns and the tests run.
func ActAs(env string, cmd *cobra.Command) {
	if os.Getenv(env) != "1" {
		return
	}
	cmd.SilenceUsage = true
	args := os.Args[1:]
	if len(args) > 0 && args[0] == cmd.Name() {
		args = args[1:]
	}
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
