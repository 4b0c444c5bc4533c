package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"plannerbench/activities/payload"
	"plannerbench/internal/tclient"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

func newSubmitCommand() *cobra.Command {
	var (
		tf       temporalFlags
		sets     []string
		wait     bool
		baseline string
	)
	c := &cobra.Command{
		Use:   "submit FILE",
		Short: "Validate a matrix file and start it on Temporal",
		Long: `Validate a matrix file (with --set overrides) and start its MatrixWorkflow
as matrix/<name>/<hash>. Prints the workflow ID and the web UI link; --wait
watches it and prints the results. Submitting the same matrix again reruns
only the cases without results.

  plannerbench submit examples/seed.yaml --set time_scale=20 --wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := loadMatrixInput(args[0], sets, baseline)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cl, err := tf.dial(ctx)
			if err != nil {
				return err
			}
			defer cl.Close()
			if err := tclient.EnsureSearchAttributes(ctx, cl, tf.conn.Namespace, workflows.SearchAttributes); err != nil {
				return err
			}
			id, err := startMatrix(cmd, cl, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "started %s (%d cases)\n", id, len(in.Cases))
			for _, cs := range in.Cases {
				fmt.Fprintf(cmd.OutOrStdout(), "  case %s\n", workflows.CaseID(in.Name, cs.ID))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "web UI: %s\n", tf.uiLink(id))
			if !wait {
				return nil
			}
			return followAndReport(cmd, cl, id)
		},
	}
	tf.register(c)
	c.Flags().StringArrayVar(&sets, "set", nil, "override a field of the file, e.g. --set time_scale=20 (repeatable)")
	c.Flags().BoolVar(&wait, "wait", false, "watch the matrix until it ends, then print its results")
	c.Flags().StringVar(&baseline, "baseline", "", "case to compare the others with (default: the noop case)")
	return c
}

// loadMatrixInput reads, overrides, validates and expands a matrix file.
func loadMatrixInput(path string, sets []string, baseline string) (workflows.MatrixInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return workflows.MatrixInput{}, badInput(fmt.Errorf("read matrix: %w", err))
	}
	data, err = schemas.ApplyOverrides(data, sets)
	if err != nil {
		return workflows.MatrixInput{}, badInput(err)
	}
	m, err := schemas.ParseMatrix(data, path, knownProfile)
	if err != nil {
		return workflows.MatrixInput{}, badInput(err)
	}
	cases := m.Expand()
	if baseline != "" {
		found := false
		for _, c := range m.Cases {
			found = found || c.Name == baseline
		}
		if !found {
			return workflows.MatrixInput{}, badInput(fmt.Errorf("--baseline %q is not a case of %s", baseline, path))
		}
	}
	blob, _ := json.Marshal(struct {
		Cases       []schemas.Case
		MaxParallel int
		Baseline    string
	}{cases, m.MaxParallel, baseline})
	sum := sha256.Sum256(blob)
	return workflows.MatrixInput{Name: m.Name, Hash: hex.EncodeToString(sum[:6]), Cases: cases, MaxParallel: m.MaxParallel, Baseline: baseline}, nil
}

// startMatrix starts (or restarts, after it ended) a matrix's workflow.
func startMatrix(cmd *cobra.Command, cl client.Client, in workflows.MatrixInput) (string, error) {
	id := workflows.MatrixID(in.Name, in.Hash)
	_, err := cl.ExecuteWorkflow(cmd.Context(), client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             payload.SharedQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         fmt.Sprintf("matrix %s: %d cases, at most %d at once", in.Name, len(in.Cases), in.MaxParallel),
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(workflows.SABenchMatrix).ValueSet(in.Name)),
	}, workflows.MatrixWorkflowName, in)
	var started *serviceErrorAlreadyStarted
	if errors.As(err, &started) {
		return id, badInput(fmt.Errorf("%s is already running: watch it with 'plannerbench watch %s'", id, id))
	}
	if err != nil {
		return id, fmt.Errorf("start %s: %w", id, err)
	}
	return id, nil
}
