package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"plannerbench/internal/results"
)

// Activities are the benchmark's activities, as methods on their
// dependencies (register the struct with a worker).
type Activities struct {
	// ResultsDir holds every matrix's files.
	ResultsDir string
	// Node is this worker's stable node name.
	Node string
	// Executable is the binary to re-execute as `EXE sim serve …`.
	Executable string
	// Client signals progress to workflows; nil disables the signals.
	Client client.Client
	// HTTP reaches deployments' endpoints.
	HTTP *http.Client
}

// New returns activities with their defaults.
func New(resultsDir, node, executable string, c client.Client) *Activities {
	return &Activities{ResultsDir: resultsDir, Node: node, Executable: executable, Client: c,
		HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// NodeQueue returns the task queue of the node running the activity, so a
// workflow can bind a case's stateful activities to it.
func (a *Activities) NodeQueue(ctx context.Context) (string, error) {
	return NodeQueue(a.Node), nil
}

// FindCompleted returns the cases that already have a summary, by ID, so a
// resubmitted matrix reruns only the others.
func (a *Activities) FindCompleted(ctx context.Context, in FindCompletedInput) (map[string]ResultRef, error) {
	done := map[string]ResultRef{}
	for _, c := range in.Cases {
		dir := CaseDir(a.ResultsDir, in.Matrix, c)
		if _, err := os.Stat(filepath.Join(dir, results.SummaryFile)); err == nil {
			done[c] = ResultRef{Dir: dir}
		}
	}
	return done, nil
}

// caseDir resolves a case folder (given absolute, or under ResultsDir).
func (a *Activities) caseDir(c CaseRef) string {
	if c.Dir != "" {
		return c.Dir
	}
	return CaseDir(a.ResultsDir, c.Matrix, c.Case)
}

func validationError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrValidation, nil)
}

// asValidation marks err non-retryable when it is a user-input problem.
func asValidation(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrValidation, err)
}
