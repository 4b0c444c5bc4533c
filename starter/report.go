package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"plannerbench/internal/cliutil"
	"plannerbench/internal/report"
)

func newReportCommand() *cobra.Command {
	var (
		baseline, resultsDir string
		resultsURL           string
		format               string
		with                 []string
		open                 bool
	)
	c := &cobra.Command{
		Use:   "report MATRIX-ID|NAME|DIR",
		Short: "Compare a matrix's cases: the seed's sentence, table, charts and report.html",
		Long: `Compare a matrix's cases against a baseline (default: the case whose planner
is noop) and write comparison.json, the charts (PNG and SVG) and a
self-contained report.html into the matrix's results folder. The argument is
that folder, or a matrix ID (matrix/<name>/<hash>) or name, looked up under
--results-dir; with --results-url, the matrix's published cases are read
from the bucket (into this machine's cache, where the report is written).

An AIPerf run of the same endpoint sits beside the cases when its exports
(profile_export_aiperf.json) are in a subfolder of the matrix folder or given
with --with DIR: its metrics compare, it has no timeline and no GPU count.
Without -o the table is printed; --open also opens report.html in a browser.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "html" {
				return badInput(fmt.Errorf("--output must be table, json or html, got %q", format))
			}
			dir := matrixDir(args[0], resultsDir)
			if resultsURL != "" {
				var err error
				if dir, err = fetchMatrix(cmd.Context(), resultsURL, matrixName(args[0])); err != nil {
					return err
				}
			} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return badInput(fmt.Errorf("no results folder for %s (looked for %s)", args[0], dir))
			}
			extra, err := report.LoadExternal(with)
			if err != nil {
				return badInput(err)
			}
			cmp, err := report.BuildWith(cmd.Context(), dir, baseline, extra)
			if err != nil {
				if strings.Contains(err.Error(), "baseline") || strings.Contains(err.Error(), "holds no case") {
					return badInput(err)
				}
				return err
			}
			w := cmd.OutOrStdout()
			switch format {
			case "json":
				return writeJSON(w, cmp)
			case "html":
				data, err := os.ReadFile(filepath.Join(dir, report.ReportFile))
				if err != nil {
					return err
				}
				_, err = w.Write(data)
				return err
			}
			if err := report.WriteTable(w, cmp); err != nil {
				return err
			}
			abs, _ := filepath.Abs(filepath.Join(dir, report.ReportFile))
			fmt.Fprintf(w, "\nreport: %s\n", abs)
			if open {
				openInBrowser(cmd.Context(), cmd.ErrOrStderr(), abs)
			}
			return nil
		},
	}
	c.Flags().StringVar(&baseline, "baseline", "", "case name to compare against (default: the noop case)")
	c.Flags().StringVar(&resultsDir, "results-dir", cliutil.EnvOr("PLANNERBENCH_RESULTS_DIR", "./results"), "where matrices' results are ($PLANNERBENCH_RESULTS_DIR)")
	addResultsURL(c, &resultsURL)
	c.Flags().StringVarP(&format, "output", "o", "table", "output: table, json or html")
	c.Flags().StringArrayVar(&with, "with", nil, "a folder of AIPerf exports to compare beside the cases (repeatable)")
	c.Flags().BoolVar(&open, "open", false, "open report.html in a browser (xdg-open, open or wslview, where one exists)")
	return c
}

// matrixDir resolves a folder, a matrix ID or a matrix name.
func matrixDir(arg, resultsDir string) string {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return arg
	}
	return filepath.Join(resultsDir, matrixName(arg))
}

// matrixName is the name in a matrix ID (matrix/<name>/<hash>), or arg.
func matrixName(arg string) string {
	if parts := strings.Split(arg, "/"); len(parts) == 3 && parts[0] == "matrix" {
		return parts[1]
	}
	return arg
}

// openInBrowser hands path to the desktop's opener, when there is one; a
// machine without (a server, CI) gets a line saying so, not an error.
func openInBrowser(ctx context.Context, w io.Writer, path string) {
	for _, opener := range []string{"xdg-open", "open", "wslview"} {
		bin, err := exec.LookPath(opener)
		if err != nil {
			continue
		}
		if err := exec.CommandContext(ctx, bin, path).Start(); err != nil {
			fmt.Fprintf(w, "could not open the report with %s: %v\n", opener, err)
		}
		return
	}
	fmt.Fprintf(w, "no browser opener here (xdg-open, open, wslview); open %s yourself\n", path)
}
