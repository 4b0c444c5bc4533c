package main

import (
	"context"
	"log/slog"
	"net/url"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"plannerbench/internal/tclient"
)

// temporalFlags are the connection flags of the commands that talk to
// Temporal (same names and environment variables as the temporal CLI).
type temporalFlags struct {
	conn tclient.Options
}

func (t *temporalFlags) register(c *cobra.Command) {
	t.conn.Register(c.Flags())
}

func (t *temporalFlags) dial(ctx context.Context) (client.Client, error) {
	return tclient.Dial(ctx, &t.conn, slog.New(slog.DiscardHandler))
}

// with dials Temporal, runs fn with the client and closes it.
func (t *temporalFlags) with(ctx context.Context, fn func(client.Client) error) error {
	cl, err := t.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	return fn(cl)
}

// uiLink is the web UI's page of a workflow.
func (t *temporalFlags) uiLink(workflowID string) string {
	return tclient.UIURL(t.conn) + "/namespaces/" + url.PathEscape(t.conn.Namespace) + "/workflows/" + url.PathEscape(workflowID)
}
