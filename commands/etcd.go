package commands

import (
	"errors"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"plannerbench/internal/atomicfile"
	"plannerbench/internal/extplanner"
)

// NewEtcd returns `etcd` with its `serve` subcommand.
func NewEtcd() *cobra.Command {
	c := &cobra.Command{
		Use:   "etcd",
		Short: "An embedded etcd, for external planners speaking Dynamo's VirtualConnector",
	}
	c.AddCommand(newEtcdServe())
	return c
}

// newEtcdServe returns `etcd serve`.
func newEtcdServe() *cobra.Command {
	var dataDir, readyFile string
	serve := &cobra.Command{
		Use:   "serve --data-dir DIR",
		Short: "Run a single-member etcd on a free loopback port until stopped",
		Long: `Run etcd (go.etcd.io/etcd/server/v3/embed) with its data in --data-dir,
listening for clients on a free 127.0.0.1 port. The client URL is printed
and, with --ready-file, written there as {"url": ...} once etcd is ready.
A case whose planner speaks dynamo-virtual and whose matrix names no etcd
starts one this way.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataDir == "" {
				return errors.New("--data-dir is required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			e, err := extplanner.StartEtcd(dataDir)
			if err != nil {
				return err
			}
			defer e.Close()
			if readyFile != "" {
				if err := atomicfile.WriteJSON(readyFile, map[string]string{"url": e.URL()}); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "etcd listening on %s\n", e.URL())
			<-ctx.Done()
			return nil
		},
	}
	serve.Flags().StringVar(&dataDir, "data-dir", "", "etcd's data folder")
	serve.Flags().StringVar(&readyFile, "ready-file", "", "write {\"url\": ...} here once ready")
	return serve
}
