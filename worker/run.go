package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"

	"plannerbench/activities"
	"plannerbench/deploy/sim/simcmd"
	"plannerbench/workflows"
	"plannerbench/workflows/connect"
)

// run executes the worker with args and returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	root := newRoot(stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "plannerbench-worker:", err)
		if errors.As(err, new(simcmd.BadInput)) {
			return 2
		}
		return 1
	}
	return 0
}

func newRoot(stderr io.Writer) *cobra.Command {
	var conn connect.Options
	var resultsDir, node string
	root := &cobra.Command{
		Use:   "plannerbench-worker",
		Short: "Run plannerbench's Temporal workers",
		Long: `Run plannerbench's Temporal workers: one on the shared task queue
"plannerbench" (workflows and activities any node can run) and one on this
node's queue "plannerbench-node-<node>" (deployments, load and metrics).
Stops cleanly on SIGTERM or Ctrl-C.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			dir, err := filepath.Abs(resultsDir)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("results folder: %w", err)
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find own executable: %w", err)
			}
			c, err := connect.Dial(cmd.Context(), conn, log)
			if err != nil {
				return err
			}
			defer c.Close()
			acts := activities.New(dir, node, exe, c)
			shared := worker.New(c, activities.SharedQueue, worker.Options{})
			workflows.Register(shared)
			workflows.RegisterActivities(shared, acts)
			local := worker.New(c, activities.NodeQueue(node), worker.Options{})
			workflows.RegisterActivities(local, acts)
			if err := shared.Start(); err != nil {
				return fmt.Errorf("start worker on %s: %w", activities.SharedQueue, err)
			}
			defer shared.Stop()
			if err := local.Start(); err != nil {
				return fmt.Errorf("start worker on %s: %w", activities.NodeQueue(node), err)
			}
			defer local.Stop()
			log.Info("worker running", "address", conn.Address, "namespace", conn.Namespace, "node", node,
				"queues", []string{activities.SharedQueue, activities.NodeQueue(node)}, "results", dir)
			<-cmd.Context().Done()
			log.Info("stopping worker")
			return nil
		},
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "local"
	}
	f := root.Flags()
	conn.Register(f)
	f.StringVar(&resultsDir, "results-dir", envOr("PLANNERBENCH_RESULTS_DIR", "./results"), "where results are written ($PLANNERBENCH_RESULTS_DIR)")
	f.StringVar(&node, "node", envOr("PLANNERBENCH_NODE", host), "this node's stable name ($PLANNERBENCH_NODE)")
	sim := &cobra.Command{Use: "sim", Short: "The built-in simulated disaggregated engine"}
	sim.AddCommand(simcmd.NewServeCommand())
	root.AddCommand(sim)
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
