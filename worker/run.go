package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"

	"plannerbench/activities"
	"plannerbench/activities/payload"
	"plannerbench/commands"
	"plannerbench/deploy/backends"
	"plannerbench/internal/cliutil"
	"plannerbench/internal/store"
	"plannerbench/internal/tclient"
	"plannerbench/workflows"
)

// run executes the worker with args and returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	root := newRoot(stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "plannerbench-worker:", err)
	}
	return cliutil.ExitCode(err)
}

// bucketName is the worker's results bucket for its log ("" for none).
func bucketName(a *activities.Activities) string {
	if a.Bucket == nil {
		return ""
	}
	return a.Bucket.String()
}

func newRoot(stderr io.Writer) *cobra.Command {
	var conn tclient.Options
	var resultsDir, resultsURL, node string
	var procs int
	var ver versioning
	root := &cobra.Command{
		Use:   "plannerbench-worker",
		Short: "Run plannerbench's Temporal workers",
		Long: `Run plannerbench's Temporal workers: one on the shared task queue
"plannerbench" (workflows and activities any node can run) and one on this
node's queue "plannerbench-node-<node>" (deployments, load and metrics).
Stops cleanly on SIGTERM or Ctrl-C.`,
		Args:          cliutil.NoSubcommand,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			if procs < 0 {
				return cliutil.Bad(fmt.Errorf("--procs must be >= 0, got %d", procs))
			}
			gomaxprocs := runtime.GOMAXPROCS(0)
			if procs > 0 {
				gomaxprocs = cliutil.DriverProcs(procs)
			}
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
			c, err := tclient.Dial(cmd.Context(), &conn, log)
			if err != nil {
				return err
			}
			defer c.Close()
			acts := activities.New(dir, node, backends.All(), exe, c)
			if resultsURL != "" {
				if !store.IsURL(resultsURL) {
					return cliutil.Bad(fmt.Errorf("--results-url %q: want a bucket URL (file://, s3://, gs://, azblob://)", resultsURL))
				}
				if acts.Bucket, err = store.Open(cmd.Context(), resultsURL); err != nil {
					return cliutil.Bad(err)
				}
				defer acts.Bucket.Close()
			}
			shared := worker.New(c, payload.SharedQueue, ver.options())
			workflows.Register(shared)
			activities.Register(shared, acts)
			local := worker.New(c, payload.NodeQueue(node), ver.options())
			activities.Register(local, acts)
			if err := shared.Start(); err != nil {
				return fmt.Errorf("start worker on %s: %w", payload.SharedQueue, err)
			}
			defer shared.Stop()
			if err := local.Start(); err != nil {
				return fmt.Errorf("start worker on %s: %w", payload.NodeQueue(node), err)
			}
			defer local.Stop()
			if err := ver.promoteWhenPolled(cmd.Context(), c, log); err != nil {
				return err
			}
			log.Info("worker running", "address", conn.Address, "namespace", conn.Namespace, "node", node, "gomaxprocs", gomaxprocs,
				"queues", []string{payload.SharedQueue, payload.NodeQueue(node)}, "results", dir, "bucket", bucketName(acts))
			<-cmd.Context().Done()
			log.Info("stopping worker")
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cliutil.Bad(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	host, _ := os.Hostname()
	if host == "" {
		host = "local"
	}
	f := root.Flags()
	conn.Register(f)
	// Not half the cores by default, as `plannerbench load` does: the
	// worker also runs the cases' metric collectors and planner steps, which
	// fall behind their schedule when they wait for the driver's thread
	// (docs/performance.md).
	f.IntVar(&procs, "procs", 0, "OS threads running Go code (GOMAXPROCS); 0: Go's default ($GOMAXPROCS, else every core)")
	f.StringVar(&resultsDir, "results-dir", cliutil.EnvOr("PLANNERBENCH_RESULTS_DIR", "./results"), "where results are written ($PLANNERBENCH_RESULTS_DIR)")
	f.StringVar(&resultsURL, "results-url", os.Getenv("PLANNERBENCH_RESULTS_URL"),
		"also publish each finished case to this bucket, and read cases and reports from it (gocloud.dev/blob: file://, s3://, gs://, azblob://; credentials from the provider's environment) ($PLANNERBENCH_RESULTS_URL)")
	f.StringVar(&node, "node", cliutil.EnvOr("PLANNERBENCH_NODE", host), "this node's stable name ($PLANNERBENCH_NODE)")
	f.StringVar(&ver.deployment, "deployment-name", os.Getenv("PLANNERBENCH_DEPLOYMENT"),
		"Temporal Worker Deployment this worker belongs to ($PLANNERBENCH_DEPLOYMENT); set, workflows are pinned to the build that started them")
	f.StringVar(&ver.buildID, "build-id", cliutil.EnvOr("PLANNERBENCH_BUILD_ID", defaultBuildID()), "this build's ID in the deployment (default: the binary's VCS revision)")
	f.BoolVar(&ver.promote, "promote", true, "with --deployment-name: make this build the deployment's current version once it polls")
	root.AddCommand(commands.NewSim(), commands.NewEtcd())
	return root
}
