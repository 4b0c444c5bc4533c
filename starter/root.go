package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"plannerbench/commands"
	"plannerbench/internal/cliutil"
)

// badInput wraps err as a user-input error (exit 2).
func badInput(err error) error { return cliutil.Bad(err) }

// run executes the CLI with args and returns the process exit code; main is
// a thin wrapper so tests can drive every command in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "plannerbench:", err)
	}
	return cliutil.ExitCode(err)
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "plannerbench",
		Short: "Benchmark autoscaling planners for disaggregated LLM serving",
		Long: `plannerbench answers: does an autoscaling planner serve a changing load
faster, on fewer GPUs, than a fixed deployment? It synthesizes traces,
deploys a simulated (or real) disaggregated graph, runs the planner, replays
the load and compares the results.`,
		Args:          cliutil.NoSubcommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	var stopProfile func()
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return badInput(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	root.AddCommand(newTraceCommand(), commands.NewEtcd(), newCalibrateCommand(), newFitCommand(), newValidateCommand(), commands.NewSim(), newLoadCommand(), newReplayCommand(),
		newSubmitCommand(), newListCommand(), newStatusCommand(), newWatchCommand(), newResultsCommand(), newCancelCommand(), newRerunCommand(), newReportCommand(), newGPUCommand(), newSweepCommand())
	return root
}
