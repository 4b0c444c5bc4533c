// Package activities holds the Temporal activities of a benchmark: thin
// adapters over the domain packages (synthesis, the deployment backends,
// the load driver, results) that add heartbeats, checkpoints and error
// classification. Their names and payloads are in activities/payload. Data
// stays on disk; activities exchange references.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"plannerbench/activities/payload"
	"plannerbench/deploy"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/store"
	"plannerbench/schemas"
)

// Activities are the benchmark's activities, as methods on their
// dependencies (register the struct with Register).
type Activities struct {
	// ResultsDir holds every matrix's files.
	ResultsDir string
	// Node is this worker's stable node name.
	Node string
	// Backends are the deployment backends this worker offers.
	Backends deploy.Registry
	// Env is what the backends may use (the executable, an HTTP client).
	Env deploy.Env
	// Client signals progress to workflows; nil disables the signals.
	Client client.Client
	// Bucket, when set, is where finished cases are published and where
	// FindCompleted and CompareCases look for cases run on other nodes.
	Bucket *store.Bucket
}

// New returns activities with their defaults.
func New(resultsDir, node string, backends deploy.Registry, executable string, c client.Client) *Activities {
	return &Activities{ResultsDir: resultsDir, Node: node, Backends: backends, Client: c,
		Env: deploy.Env{Executable: executable}}
}

// Register adds the activities to a worker (every worker registers all of
// them; the task queue decides where each runs).
func Register(w worker.Registry, a *Activities) {
	w.RegisterActivityWithOptions(a, activity.RegisterOptions{})
}

// NodeQueue returns the task queue of the node running the activity, so a
// workflow can bind a case's stateful activities to it.
func (a *Activities) NodeQueue(ctx context.Context) (string, error) {
	return payload.NodeQueue(a.Node), nil
}

// FindCompleted returns the cases that already have a summary of the same
// spec, by ID, so a resubmitted matrix reruns only the others. A folder
// holding results of another spec (the matrix was edited: another profile,
// planner or trace) is moved aside to DIR.before-<time>, kept, and the case
// runs again.
func (a *Activities) FindCompleted(ctx context.Context, in payload.FindCompletedInput) (map[string]payload.ResultRef, error) {
	done := map[string]payload.ResultRef{}
	for i, c := range in.Cases {
		dir := payload.CaseDir(a.ResultsDir, in.Matrix, c)
		published, err := a.fetchPublished(ctx, in.Matrix, c, dir)
		if err != nil {
			return nil, err
		}
		if !casefolder.Complete(dir) {
			continue
		}
		if i < len(in.Specs) && !sameSpec(filepath.Join(dir, casefolder.SpecFile), in.Specs[i]) {
			stamp := casefolder.SetAsideMark + time.Now().UTC().Format("20060102T150405Z")
			if published {
				prefix := store.CasePrefix(in.Matrix, c)
				if err := a.Bucket.SetAside(ctx, prefix, prefix+stamp); err != nil {
					return nil, err
				}
			}
			if err := os.Rename(dir, dir+stamp); err != nil {
				return nil, fmt.Errorf("move aside %s (results of another spec): %w", dir, err)
			}
			activity.GetLogger(ctx).Info("results of another spec moved aside; the case runs again", "case", c, "kept", dir+stamp)
			continue
		}
		if published {
			done[c] = payload.ResultRef{Dir: dir}
			continue
		}
		if i < len(in.Specs) {
			spec := in.Specs[i]
			if err := casefolder.Upgrade(ctx, dir, aiperf.Info{CaseID: spec.ID, Model: spec.Model, Worker: a.Node, Spec: &spec}); err != nil {
				activity.GetLogger(ctx).Warn("a reused case's files were not brought up to date", "case", c, "error", err)
			}
		}
		// A case finished here before the worker had a bucket.
		if err := a.publish(ctx, in.Matrix, c, dir); err != nil {
			return nil, err
		}
		done[c] = payload.ResultRef{Dir: dir}
	}
	return done, nil
}

// fetchPublished brings a case published to the bucket into dir, when
// there is a bucket and the case is in it (it may have run on another
// node); it says whether it was.
func (a *Activities) fetchPublished(ctx context.Context, matrix, caseID, dir string) (bool, error) {
	if a.Bucket == nil {
		return false, nil
	}
	prefix := store.CasePrefix(matrix, caseID)
	m, ok, err := a.Bucket.Published(ctx, prefix)
	if err != nil || !ok {
		return false, err
	}
	if local, err := store.ReadManifest(dir); err == nil && local.Same(m) {
		return true, nil // this node published it, or fetched it before
	}
	if _, err := os.Stat(dir); err == nil {
		// What is here is not the published case (an attempt cut short
		// before the case moved to another node): kept aside, not mixed in.
		aside := dir + ".local-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dir, aside); err != nil {
			return false, fmt.Errorf("move aside %s: %w", dir, err)
		}
		activity.GetLogger(ctx).Info("a local attempt of a case published elsewhere was moved aside", "case", caseID, "kept", aside)
	}
	if _, err := a.Bucket.Fetch(ctx, prefix, dir); err != nil {
		return false, fmt.Errorf("fetch %s: %w", prefix, err)
	}
	return true, nil
}

// publish copies a finished case folder to the bucket, when there is one
// (safe to repeat: a retry finishes a publish cut short).
func (a *Activities) publish(ctx context.Context, matrix, caseID, dir string) error {
	if a.Bucket == nil {
		return nil
	}
	_, err := a.Bucket.Publish(ctx, dir, store.CasePrefix(matrix, caseID), a.Node)
	return err
}

// sameSpec says whether the stored case.json describes spec.
func sameSpec(path string, spec schemas.Case) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var stored schemas.Case
	if json.Unmarshal(data, &stored) != nil {
		return false
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(spec)
	return string(a) == string(b)
}

// caseDir resolves a case folder (given absolute, or under ResultsDir).
func (a *Activities) caseDir(c payload.CaseRef) string {
	if c.Dir != "" {
		return c.Dir
	}
	return payload.CaseDir(a.ResultsDir, c.Matrix, c.Case)
}

// deployer returns the backend of a deployment or a non-retryable error.
func (a *Activities) deployer(kind string) (deploy.Deployer, error) {
	d, err := a.Backends.Get(kind, a.Env)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), payload.ErrUnsupported, err)
	}
	return d, nil
}

func validationError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), payload.ErrValidation, nil)
}

// asValidation marks err non-retryable when it is a user-input problem.
func asValidation(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), payload.ErrValidation, err)
}

// classify turns a backend's error into the activity's: invalid specs and
// refusals are not retried; anything else is.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, deploy.ErrInvalid):
		return asValidation(err)
	case errors.Is(err, deploy.ErrRefused), errors.Is(err, deploy.ErrNotScalable):
		return temporal.NewNonRetryableApplicationError(err.Error(), payload.ErrScaleRefused, err)
	}
	return err
}

// spec is what a case asks of its backend.
func (a *Activities) spec(in payload.DeployInput) deploy.Spec {
	return deploy.Spec{Dir: a.caseDir(in.Case), Node: a.Node, Model: in.Model, Backend: in.Backend,
		Deployment: in.Deployment, TimeScale: in.TimeScale, GPUsPerEngine: in.GPUsPerEngine}
}
