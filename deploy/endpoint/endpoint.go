// Package endpoint is the backend for an OpenAI-compatible deployment
// plannerbench does not start: any vLLM, SGLang, Dynamo frontend or hosted
// API. It is observed through the Prometheus endpoints the matrix names
// (with Dynamo's and vLLM's metric names by default) and scaled, if at
// all, through the user's hook command.
//
// The hook (backend.scale_command) runs with sh -c in the case folder, with
// PLANNERBENCH_PREFILL and PLANNERBENCH_DECODE set to the target worker
// counts (workers serving or starting) and PLANNERBENCH_URL to the
// endpoint. Exit status 0 means accepted; 3 means refused (no capacity:
// the planner is told and does not retry); anything else is an error the
// activity retries. Its output goes to scale.log in the case folder.
package endpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"plannerbench/deploy"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/observe"
	"plannerbench/schemas"
)

// BackendName is the endpoint backend's name in a matrix (backend.kind).
const BackendName = schemas.BackendEndpoint

// HookRefused is the hook's exit status for a refused scaling request.
const HookRefused = 3

// Deployer drives an existing endpoint.
type Deployer struct{ env deploy.Env }

// NewDeployer is the endpoint backend's deploy.Factory.
func NewDeployer(env deploy.Env) deploy.Deployer {
	return &Deployer{env: env}
}

// state is deployment.json: what this case adopted.
// The hook command is kept here, in the case folder, not in the ref: refs
// travel through Temporal's history, and a command line may carry more
// than a user wants recorded there.
type state struct {
	Ref  schemas.DeploymentRef `json:"ref"`
	Hook string                `json:"scale_command,omitempty"`
	// Target is the last worker counts the hook accepted: metrics show
	// only registered workers, so the rest of it is counted as starting.
	Target  *schemas.Target `json:"target,omitempty"`
	Stopped bool            `json:"stopped"`
}

func readState(dir string) (state, error) {
	var st state
	err := deploy.ReadState(dir, &st)
	return st, err
}

func statePath(dir string) string { return deploy.StatePath(dir) }

// ref is the deployment a spec names.
func ref(spec deploy.Spec) schemas.DeploymentRef {
	dialect := spec.Backend.MetricsDialect
	if dialect == "" {
		dialect = observe.DialectDynamo
	}
	return schemas.DeploymentRef{
		Backend: BackendName, Node: spec.Node, Dir: spec.Dir, Resource: "url/" + spec.Backend.URL,
		URL: spec.Backend.URL, MetricsURLs: spec.Backend.Metrics, MetricsDialect: dialect, DCGMURLs: spec.Backend.DCGM, APIKeyEnv: spec.Backend.APIKeyEnv, Model: spec.Model,
		TimeScale: max(spec.TimeScale, 0), GPUsPerEngine: max(spec.GPUsPerEngine, 1), Scalable: spec.Backend.ScaleCommand != "",
	}
}

// Find returns the recorded endpoint when it still answers.
func (d *Deployer) Find(ctx context.Context, spec deploy.Spec) (schemas.DeploymentRef, bool, error) {
	st, err := readState(spec.Dir)
	if err != nil || st.Stopped || st.Ref.URL != spec.Backend.URL || st.Hook != spec.Backend.ScaleCommand {
		return schemas.DeploymentRef{}, false, nil
	}
	if d.models(ctx, st.Ref) != nil {
		return schemas.DeploymentRef{}, false, nil
	}
	return st.Ref, true, nil
}

// Up waits until the endpoint lists models, then (with a hook) asks for the
// case's deployment, so 1p1d and 2p2d are set before the load starts.
func (d *Deployer) Up(ctx context.Context, spec deploy.Spec, progress deploy.Progress) (schemas.DeploymentRef, error) {
	if spec.Backend.URL == "" {
		return schemas.DeploymentRef{}, fmt.Errorf("%w: backend.url is empty", deploy.ErrInvalid)
	}
	r := ref(spec)
	for {
		err := d.models(ctx, r)
		if err == nil {
			break
		}
		if progress != nil {
			progress("waiting for " + r.URL + "/v1/models: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return schemas.DeploymentRef{}, fmt.Errorf("endpoint %s not answering: %w", r.URL, err)
		case <-time.After(time.Second):
		}
	}
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("case folder: %w", err)
	}
	if r.Scalable {
		if progress != nil {
			progress("asking the scale hook for " + spec.Deployment.String())
		}
		// Recorded first, so the hook's run can record its target.
		if err := atomicfile.WriteJSON(statePath(spec.Dir), state{Ref: r, Hook: spec.Backend.ScaleCommand}); err != nil {
			return schemas.DeploymentRef{}, err
		}
		if _, err := d.runHook(ctx, r, spec.Backend.ScaleCommand, schemas.Target{Prefill: spec.Deployment.Prefill, Decode: spec.Deployment.Decode}); err != nil {
			return schemas.DeploymentRef{}, fmt.Errorf("set up %s: %w", spec.Deployment, err)
		}
		return r, nil
	}
	if err := atomicfile.WriteJSON(statePath(spec.Dir), state{Ref: r, Hook: spec.Backend.ScaleCommand}); err != nil {
		return schemas.DeploymentRef{}, err
	}
	return r, nil
}

// Scale runs the hook with the target, then reads the workers back.
func (d *Deployer) Scale(ctx context.Context, r schemas.DeploymentRef, target schemas.Target) (schemas.Workers, error) {
	if !r.Scalable {
		return schemas.Workers{}, fmt.Errorf("%w: endpoint %s has no scale_command", deploy.ErrNotScalable, r.URL)
	}
	st, err := readState(r.Dir)
	if err != nil || st.Hook == "" {
		return schemas.Workers{}, fmt.Errorf("%w: no scale_command recorded in %s", deploy.ErrNotScalable, statePath(r.Dir))
	}
	return d.runHook(ctx, r, st.Hook, target)
}

func (d *Deployer) runHook(ctx context.Context, r schemas.DeploymentRef, command string, target schemas.Target) (schemas.Workers, error) {
	logFile, err := os.OpenFile(filepath.Join(r.Dir, "scale.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return schemas.Workers{}, fmt.Errorf("scale log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "%s scale to %dp%dd\n", time.Now().UTC().Format(time.RFC3339Nano), target.Prefill, target.Decode)
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "PLANNERBENCH_PREFILL="+strconv.Itoa(target.Prefill), "PLANNERBENCH_DECODE="+strconv.Itoa(target.Decode), "PLANNERBENCH_URL="+r.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(logFile, &out), io.MultiWriter(logFile, &out)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == HookRefused {
			return schemas.Workers{}, fmt.Errorf("%w: scale hook: %s", deploy.ErrRefused, bytes.TrimSpace(out.Bytes()))
		}
		return schemas.Workers{}, fmt.Errorf("scale hook (see %s): %w: %s", filepath.Join(r.Dir, "scale.log"), err, bytes.TrimSpace(out.Bytes()))
	}
	if st, err := readState(r.Dir); err == nil {
		st.Target = &target
		if err := atomicfile.WriteJSON(statePath(r.Dir), st); err != nil {
			return schemas.Workers{}, err
		}
	}
	s, err := d.Observe(ctx, r)
	if err != nil {
		// Accepted; the counts show at the next observation.
		return schemas.Workers{PrefillStarting: target.Prefill, DecodeStarting: target.Decode}, nil
	}
	return schemas.WorkersOf(s), nil
}

// Observe scrapes every metrics URL and merges them: the first that
// reports workers gives the sample; counters add up.
func (d *Deployer) Observe(ctx context.Context, r schemas.DeploymentRef) (schemas.Sample, error) {
	if len(r.MetricsURLs) == 0 {
		return schemas.Sample{}, fmt.Errorf("endpoint %s: no metrics URL in backend.metrics", r.URL)
	}
	s, err := observe.ScrapeAll(ctx, d.env.Client(), r.MetricsURLs, r.GPUsPerEngine, r.MetricsDialect)
	if err != nil {
		return schemas.Sample{}, fmt.Errorf("endpoint %s: %w", r.URL, err)
	}
	// Metrics show only registered workers: the rest of what the hook was
	// last asked for is starting (and holds its GPUs).
	if st, err := readState(r.Dir); err == nil && st.Target != nil {
		s.PrefillStarting = max(st.Target.Prefill-s.PrefillWorkers, 0)
		s.DecodeStarting = max(st.Target.Decode-s.DecodeWorkers, 0)
		s.GPUsHeld = (s.PrefillWorkers + s.DecodeWorkers + s.PrefillStarting + s.DecodeStarting) * max(r.GPUsPerEngine, 1)
	}
	return s, nil
}

// Down leaves the endpoint as it is (plannerbench did not start it) and
// marks the record stopped.
func (d *Deployer) Down(_ context.Context, r schemas.DeploymentRef) error {
	st, err := readState(r.Dir)
	if err != nil {
		return nil // nothing recorded
	}
	st.Stopped = true
	return atomicfile.WriteJSON(statePath(r.Dir), st)
}

func (d *Deployer) models(ctx context.Context, r schemas.DeploymentRef) error {
	_, err := d.get(ctx, r.URL+"/v1/models", r.APIKeyEnv)
	return err
}

// get fetches url, with the API key (read from the named variable, here on
// the worker) as a bearer token when one is named.
func (d *Deployer) get(ctx context.Context, url, keyEnv string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if key := os.Getenv(keyEnv); keyEnv != "" && key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := d.env.Client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return data, nil
}
