// Package deploy is where the system under test comes from. A backend
// implements Deployer; the Temporal activities call it and know nothing of
// processes, HTTP paths or clusters.
//
// # Adding a backend
//
// Write a package (deploy/<name>) with a type that implements Deployer, and
// add one line to the list in deploy/backends. Matrices then name it in
// backend.kind. What each method must do:
//
//   - Find looks in spec.Dir (the case folder) for a deployment this backend
//     recorded there earlier, and returns it if it still serves with the
//     same spec. A worker that crashed and restarted calls Find before Up, so
//     a case never ends up with two deployments. Record what you need (a
//     pid, a resource name, the replicas you found) in spec.Dir when Up
//     succeeds; deploy.StateFile is the conventional name.
//   - Up brings the graph up at spec.Deployment's worker counts and returns
//     once it serves: the simulator starts in a second, a Kubernetes
//     DynamoGraphDeployment takes minutes, so report what you wait for
//     through progress (it reaches the Temporal UI) and honour ctx. A
//     deployment that is not ready yet when ctx ends is an ordinary
//     (retryable) error; a spec that can never work wraps ErrInvalid.
//   - Scale asks for target worker counts (workers serving or starting) and
//     returns the workers right after the request was accepted; new workers
//     may take minutes to become ready, which later Observe calls show. A
//     refusal that retrying cannot cure (no free GPU, a budget) wraps
//     ErrRefused; a deployment that cannot be scaled at all (an endpoint
//     without a hook) wraps ErrNotScalable and sets Scalable false in its ref.
//   - Observe takes one sample of what the planners read: the seed's six
//     metrics, the workers by state, and the SLA planner's cumulative
//     request counters (schemas.Sample documents each field). Read it from
//     ref.MetricsURLs, a cluster's status, or both.
//   - Down tears down what Up created (or restores what it adopted, such as
//     the replicas of an existing deployment) and marks the record in
//     spec.Dir stopped. Calling it twice, or on a deployment that died, is
//     not an error.
//
// Every method may run on any worker of ref.Node's task queue, in any
// process, after any crash: keep state in spec.Dir or in the system itself,
// never in the Deployer value. GPU telemetry is sampled on ref.Node (NVML
// there) unless a backend's metrics name a DCGM exporter.
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
)

// Deployer brings up, scales, observes and tears down one backend's
// deployments (see the package documentation for each method's contract).
type Deployer interface {
	Find(ctx context.Context, spec Spec) (schemas.DeploymentRef, bool, error)
	Up(ctx context.Context, spec Spec, progress Progress) (schemas.DeploymentRef, error)
	Scale(ctx context.Context, ref schemas.DeploymentRef, target schemas.Target) (schemas.Workers, error)
	Observe(ctx context.Context, ref schemas.DeploymentRef) (schemas.Sample, error)
	Down(ctx context.Context, ref schemas.DeploymentRef) error
}

// Progress receives a short line about what Up is waiting for.
type Progress func(status string)

// Spec is what a case asks of a backend.
type Spec struct {
	// Dir is the case folder: the backend's state file and logs go there.
	Dir string
	// Node is this worker's node name; it goes into the ref.
	Node       string
	Model      string
	Backend    schemas.Backend
	Deployment schemas.Deployment
	// TimeScale speeds a simulated deployment up (1 for real systems).
	TimeScale     float64
	GPUsPerEngine int
}

// StateFile is the name of a backend's record in a case folder.
const StateFile = casefolder.DeploymentFile

// Errors a backend wraps so callers can classify failures.
var (
	// ErrInvalid: the spec can never work (unknown profile, bad manifest).
	ErrInvalid = errors.New("invalid deployment spec")
	// ErrRefused: the backend refused a scaling request; retrying won't help.
	ErrRefused = errors.New("scaling refused")
	// ErrNotScalable: the deployment cannot be scaled at all.
	ErrNotScalable = errors.New("deployment cannot be scaled")
)

// Env is what backends may use from the worker that hosts them.
type Env struct {
	// Executable is the running binary, which backends may re-execute (the
	// simulator runs as `EXE sim serve …` in its own process).
	Executable string
	// HTTP reaches deployments' endpoints; nil means Client's default.
	HTTP *http.Client
}

// DefaultHTTPTimeout bounds one request to a deployment when Env.HTTP is
// nil: a health probe, a scrape or a scale call, never a streamed answer.
const DefaultHTTPTimeout = 10 * time.Second

// Client returns e.HTTP, or a client with DefaultHTTPTimeout when it is nil,
// so that every backend defaults alike.
func (e Env) Client() *http.Client {
	if e.HTTP != nil {
		return e.HTTP
	}
	return &http.Client{Timeout: DefaultHTTPTimeout}
}

// Factory makes a backend's Deployer for a worker.
type Factory func(Env) Deployer

// Registry maps backend names (a matrix's backend.kind) to factories.
type Registry map[string]Factory

// Get returns the Deployer of backend kind, or an error wrapping ErrInvalid
// that lists the known ones.
func (r Registry) Get(kind string, env Env) (Deployer, error) {
	f, ok := r[kind]
	if !ok {
		return nil, fmt.Errorf("%w: backend %q is not one this worker deploys (known: %s)", ErrInvalid, kind, strings.Join(r.Names(), ", "))
	}
	return f(env), nil
}

// Names lists the registered backends, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// StatePath is the conventional record of a deployment in a case folder.
func StatePath(dir string) string { return filepath.Join(dir, StateFile) }

// ReadState decodes a case folder's record into v; a missing file is the
// os.ErrNotExist error, a malformed one names the file.
func ReadState(dir string, v any) error {
	data, err := os.ReadFile(StatePath(dir))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", StatePath(dir), err)
	}
	return nil
}
