package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/report"
	"plannerbench/internal/results"
	"plannerbench/internal/store"
	"plannerbench/workflows"
)

// errFailedCases makes the exit status 1 when a case failed.
var errFailedCases = errors.New("some cases failed")

func newResultsCommand() *cobra.Command {
	var tf temporalFlags
	var out outputFormat
	var resultsURL string
	c := &cobra.Command{
		Use:   "results MATRIX-ID",
		Short: "Print a finished matrix's case summaries and comparison",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			return tf.with(cmd.Context(), func(cl client.Client) error {
				return printResults(cmd, cl, args[0], out.value, resultsURL)
			})
		},
	}
	tf.register(c)
	addResultsURL(c, &resultsURL)
	out.register(c.Flags())
	return c
}

// caseResult is one row of the results table.
type caseResult struct {
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Dir     string           `json:"dir,omitempty"`
	Error   string           `json:"error,omitempty"`
	Summary *results.Summary `json:"summary,omitempty"`
}

// printResults prints a finished matrix's cases: their summaries and the
// comparison from the case folders the workers reported, or, with
// resultsURL, from the bucket they published to.
func printResults(cmd *cobra.Command, cl client.Client, id, format, resultsURL string) error {
	desc, err := cl.DescribeWorkflowExecution(cmd.Context(), id, "")
	if err != nil {
		return badInput(fmt.Errorf("no matrix %s: %w", id, err))
	}
	if s := statusName(desc.GetWorkflowExecutionInfo().GetStatus()); s == "running" {
		return fmt.Errorf("%s is still running: 'plannerbench watch %s' follows it", id, id)
	}
	var res workflows.MatrixResult
	if err := cl.GetWorkflow(cmd.Context(), id, "").Get(cmd.Context(), &res); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	read := localResults{}.read
	if resultsURL != "" {
		b, err := openBucket(cmd.Context(), resultsURL)
		if err != nil {
			return err
		}
		defer b.Close()
		read = bucketResults{b: b, matrix: matrixName(id)}.read
	}
	var rows []caseResult
	for _, c := range res.Cases {
		r := caseResult{ID: c.ID, Status: c.Status, Error: c.Error}
		if c.Result != nil {
			r.Dir = c.Result.Dir
			var s results.Summary
			if data, err := read(cmd.Context(), c.ID, c.Result.Dir, casefolder.SummaryFile); err == nil && json.Unmarshal(data, &s) == nil {
				r.Summary = &s
			}
		}
		rows = append(rows, r)
	}
	var cmp *report.Comparison
	if res.Comparison != nil {
		if data, err := read(cmd.Context(), "", res.Comparison.Dir, report.ComparisonFile); err == nil {
			var c report.Comparison
			if json.Unmarshal(data, &c) == nil {
				cmp = &c
			}
		}
	}
	w := cmd.OutOrStdout()
	if format == "json" {
		if err := writeJSON(w, map[string]any{"matrix": id, "cases": rows, "comparison": cmp}); err != nil {
			return err
		}
	} else if err := writeResultsTable(w, rows, cmp); err != nil {
		return err
	}
	if res.Failed > 0 {
		return errFailedCases
	}
	return nil
}

func writeResultsTable(w io.Writer, rows []caseResult, cmp *report.Comparison) error {
	t := newTable(w)
	fmt.Fprintln(t, "CASE\tSTATUS\tREQUESTS\tERRORS\tAVG LATENCY (ms)\tTTFT P50 (ms)\tTTFT P99 (ms)\tITL P50 (ms)\tOUT TOK/S\tNUM_GPU (AVG)\tGPUS HELD (AVG)")
	for _, r := range rows {
		if r.Summary == nil {
			fmt.Fprintf(t, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\n", r.ID, r.Status)
			continue
		}
		s := r.Summary
		fmt.Fprintf(t, "%s\t%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.1f\t%.3f\t%.3f\n", r.ID, r.Status, s.Requests, s.Errors,
			s.AvgRequestLatencyMS, s.TTFTMS.P50, s.TTFTMS.P99, s.ITLMS.P50, s.OutputTokenThroughput, s.AvgNumGPU, s.AvgGPUsHeld)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(w, "%s failed: %s\n", r.ID, r.Error)
		}
	}
	if cmp != nil {
		for _, s := range cmp.Sentences {
			fmt.Fprintln(w, s+".")
		}
	}
	return nil
}

// localResults reads a file of a case folder (or, for caseID "", of the
// matrix folder) where the worker wrote it.
type localResults struct{}

func (localResults) read(_ context.Context, _, dir, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir, name))
}

// bucketResults reads the same from the bucket the workers published to.
type bucketResults struct {
	b      *store.Bucket
	matrix string
}

func (r bucketResults) read(ctx context.Context, caseID, _, name string) ([]byte, error) {
	if caseID == "" {
		return r.b.ReadObject(ctx, path.Join(r.matrix, name))
	}
	return r.b.ReadFile(ctx, store.CasePrefix(r.matrix, caseID), name)
}
