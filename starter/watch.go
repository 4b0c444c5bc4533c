package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"golang.org/x/term"
)

func newWatchCommand() *cobra.Command {
	var tf temporalFlags
	c := &cobra.Command{
		Use:   "watch MATRIX-ID",
		Short: "Follow a matrix live: a progress bar a case, until it ends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tf.with(cmd.Context(), func(cl client.Client) error {
				return watchMatrix(cmd, cl, args[0])
			})
		},
	}
	tf.register(c)
	return c
}

// watchMatrix redraws the cases' progress every second until the matrix
// closes. On a terminal the bars are redrawn in place; elsewhere a line is
// printed when a case's stage changes.
func watchMatrix(cmd *cobra.Command, cl client.Client, id string) error {
	w := cmd.OutOrStdout()
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	lastLines := 0
	seen := map[string]string{}
	for {
		st, err := getStatus(cmd.Context(), cl, id)
		if err != nil {
			return err
		}
		if tty {
			if lastLines > 0 {
				fmt.Fprintf(w, "\033[%dA\033[J", lastLines)
			}
			lastLines = renderBars(w, st)
		} else {
			for _, c := range st.Cases {
				key := c.Status
				if c.Progress != nil {
					key += "/" + c.Progress.Stage
				}
				if seen[c.ID] != key {
					seen[c.ID] = key
					fmt.Fprintf(w, "%s %s: %s\n", time.Now().Format("15:04:05"), c.ID, key)
				}
			}
		}
		if st.Status != "running" {
			fmt.Fprintf(w, "%s %s\n", id, st.Status)
			return nil
		}
		select {
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-time.After(time.Second):
		}
	}
}

// renderBars draws one bar a case and returns the lines written.
func renderBars(w io.Writer, st matrixStatus) int {
	fmt.Fprintf(w, "%s: %s\n", st.ID, st.Status)
	for _, c := range st.Cases {
		frac, detail := 0.0, c.Status
		if c.Status == "completed" || c.Status == "reused" {
			frac = 1
		}
		if p := c.Progress; p != nil && c.Status == "running" {
			g := p.Progress
			if g.Total > 0 {
				frac = float64(g.Done+g.Errors) / float64(g.Total)
			}
			detail = fmt.Sprintf("%-12s sent %d/%d, %d errors, lateness p99 %.2fms, %d+%d workers ready (%d+%d starting)", p.Stage,
				g.Sent, g.Total, g.Errors, g.LatenessP99MS, g.Workers.PrefillReady, g.Workers.DecodeReady, g.Workers.PrefillStarting, g.Workers.DecodeStarting)
		}
		n := int(frac * 30)
		fmt.Fprintf(w, "  %-24s [%s%s] %3.0f%% %s\n", c.ID, strings.Repeat("#", n), strings.Repeat(".", 30-n), 100*frac, detail)
	}
	return len(st.Cases) + 1
}

// followAndReport watches a matrix to its end and prints its results
// (read from $PLANNERBENCH_RESULTS_URL's bucket when it is set, as the
// results command's --results-url defaults to).
func followAndReport(cmd *cobra.Command, cl client.Client, id string) error {
	if err := watchMatrix(cmd, cl, id); err != nil {
		return err
	}
	return printResults(cmd, cl, id, "table", os.Getenv("PLANNERBENCH_RESULTS_URL"))
}
