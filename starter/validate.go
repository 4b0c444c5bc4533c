package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"plannerbench/deploy"
	"plannerbench/deploy/dynamo"
	"plannerbench/internal/synth"
	"plannerbench/schemas"
)

func newValidateCommand() *cobra.Command {
	var (
		out    outputFormat
		server bool
	)
	c := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a matrix file and print its expanded cases",
		Long: `Check a benchmark matrix file and print the cases it expands to. Every
problem is printed at once as FILE:LINE: field.path: message; the exit
status is then 2. With --server, the backend's server checks what the
cases would create too (dynamo: a dry-run create of backend.manifest at
each deployment, through backend.kubeconfig); a refusal names the fields
the server named, exit status 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			m, err := schemas.LoadMatrix(args[0], knownProfile)
			if err != nil {
				var fe schemas.FieldErrors
				if errors.As(err, &fe) {
					for _, e := range fe {
						fmt.Fprintln(cmd.ErrOrStderr(), e)
					}
					return badInput(fmt.Errorf("%s: %d problem(s)", args[0], len(fe)))
				}
				return badInput(err)
			}
			warnMissingPaths(cmd.ErrOrStderr(), args[0], m)
			cases := m.Expand()
			if server {
				if err := checkOnServer(cmd.Context(), m, cases); err != nil {
					return err
				}
			}
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"matrix": m, "cases": cases})
			}
			return printCases(cmd.OutOrStdout(), m, cases)
		},
	}
	out.register(c.Flags())
	c.Flags().BoolVar(&server, "server", false, "also ask the backend's server whether it accepts what the cases would create (dynamo)")
	return c
}

// checkOnServer dry-runs each distinct deployment of a dynamo matrix on
// its API server; other backends have no server to ask.
func checkOnServer(ctx context.Context, m *schemas.Matrix, cases []schemas.Case) error {
	if m.Backend.Kind != schemas.BackendDynamo {
		return badInput(fmt.Errorf("--server: backend %s has no server to ask (only dynamo does)", m.Backend.Kind))
	}
	seen := map[schemas.Deployment]bool{}
	for _, cs := range cases {
		if seen[cs.Deployment] {
			continue
		}
		seen[cs.Deployment] = true
		if err := dynamo.DryRun(ctx, m.Backend, cs.Deployment); err != nil {
			if errors.Is(err, deploy.ErrInvalid) {
				return badInput(fmt.Errorf("deployment %s: %w", cs.Deployment, err))
			}
			return fmt.Errorf("--server: deployment %s: %w", cs.Deployment, err)
		}
	}
	return nil
}

func printCases(w io.Writer, m *schemas.Matrix, cases []schemas.Case) error {
	fmt.Fprintf(w, "matrix %s: %d case(s), backend %s", m.Name, len(cases), m.Backend.Kind)
	if m.Backend.Kind == schemas.BackendSim {
		fmt.Fprintf(w, " (profile %s)", m.Backend.Profile)
	}
	fmt.Fprintf(w, ", time_scale %g, max_parallel %d\n", m.TimeScale, m.MaxParallel)
	t := newTable(w)
	fmt.Fprintln(t, "ID\tDEPLOYMENT\tPLANNER\tINTERVAL\tGPU BUDGET\tTRACE")
	for _, c := range cases {
		trace := c.Trace.Path
		if c.Trace.Synth != nil {
			trace = fmt.Sprintf("%s (seed %d)", synth.DefaultFileName(*c.Trace.Synth), c.Trace.Synth.Seed)
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%d\t%s\n", c.ID, c.Deployment, c.Planner.Mode, c.Planner.AdjustmentInterval, c.Planner.MaxGPUBudget, trace)
	}
	return t.Flush()
}
