// Command plannerbench-worker runs plannerbench's Temporal workers: one on
// the shared queue (workflows and any-node activities) and one on this
// node's queue (its deployments, their load and metrics). `sim serve` starts
// a simulated deployment; Deploy re-executes this binary with it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
