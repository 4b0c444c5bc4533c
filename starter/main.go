// Command plannerbench is the user CLI: it synthesizes and inspects traces,
// validates benchmark matrices, and (with a Temporal server) submits and
// watches them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
