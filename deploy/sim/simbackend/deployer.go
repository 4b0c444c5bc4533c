package simbackend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"plannerbench/deploy"
	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/observe"
	"plannerbench/schemas"
)

// BackendName is the simulator's name in the backend registry.
const BackendName = schemas.BackendSim

// startTimeout bounds how long `sim serve` may take to listen.
const startTimeout = 30 * time.Second

// Deployer runs each deployment as its own `EXE sim serve` process, in its
// own process group so that it outlives a crash of the worker that started
// it; deployment.json in the case folder records its pid, URL and graph.
type Deployer struct {
	env deploy.Env
}

// NewDeployer is the simulator's deploy.Factory.
func NewDeployer(env deploy.Env) deploy.Deployer {
	return &Deployer{env: env}
}

// processState is deployment.json: what runs for a case.
type processState struct {
	Ref     schemas.DeploymentRef `json:"ref"`
	PID     int                   `json:"pid"`
	Graph   sim.GraphConfig       `json:"graph"`
	Stopped bool                  `json:"stopped"`
}

// graphFor is the graph a spec asks for.
func graphFor(spec deploy.Spec) (sim.GraphConfig, error) {
	g, err := sim.ForGraph(spec.Backend.Graph, spec.Deployment)
	if err != nil {
		return sim.GraphConfig{}, fmt.Errorf("%w: backend.graph: %w", deploy.ErrInvalid, err)
	}
	g.Model = spec.Model
	g.GPUsPerEngine = max(spec.GPUsPerEngine, 1)
	return g, nil
}

func statePath(dir string) string { return deploy.StatePath(dir) }

// Find returns the case's recorded deployment when it is alive, healthy,
// on this node and of the same graph.
func (d *Deployer) Find(ctx context.Context, spec deploy.Spec) (schemas.DeploymentRef, bool, error) {
	want, err := graphFor(spec)
	if err != nil {
		return schemas.DeploymentRef{}, false, err
	}
	st, err := readState(spec.Dir)
	if err != nil || st.Stopped || st.Ref.Node != spec.Node || !reflect.DeepEqual(st.Graph, want) {
		return schemas.DeploymentRef{}, false, nil
	}
	if syscall.Kill(st.PID, 0) != nil || d.health(ctx, st.Ref.URL) != nil {
		return schemas.DeploymentRef{}, false, nil
	}
	return st.Ref, true, nil
}

// Up starts `EXE sim serve` on a free port and waits for its ready file.
func (d *Deployer) Up(ctx context.Context, spec deploy.Spec, progress deploy.Progress) (schemas.DeploymentRef, error) {
	prof, err := sim.LoadProfile(spec.Backend.Profile)
	if err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("%w: %w", deploy.ErrInvalid, err)
	}
	graph, err := graphFor(spec)
	if err != nil {
		return schemas.DeploymentRef{}, err
	}
	if err := graph.Validate(); err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("%w: %w", deploy.ErrInvalid, err)
	}
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("case folder: %w", err)
	}
	graphPath := filepath.Join(spec.Dir, casefolder.GraphFile)
	data, err := yaml.Marshal(graph)
	if err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("encode graph: %w", err)
	}
	if err := atomicfile.Write(graphPath, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return schemas.DeploymentRef{}, err
	}
	readyPath := filepath.Join(spec.Dir, casefolder.SimReadyFile)
	_ = os.Remove(readyPath)
	logPath := filepath.Join(spec.Dir, casefolder.SimLogFile)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("simulator log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(d.env.Executable, "sim", "serve", "--port", "0", "--ready-file", readyPath, "--config", graphPath,
		"--profile", spec.Backend.Profile, "--time-scale", strconv.FormatFloat(spec.TimeScale, 'g', -1, 64), "--model", spec.Model)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: a signal to the worker's group spares it
	if progress != nil {
		progress("starting the simulated graph " + graph.Name)
	}
	if err := cmd.Start(); err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("start %s sim serve: %w", d.env.Executable, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it exits while this worker lives
	ready, err := waitReady(ctx, readyPath)
	if err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return schemas.DeploymentRef{}, fmt.Errorf("sim serve (see %s): %w", logPath, err)
	}
	ref := schemas.DeploymentRef{
		Backend: BackendName, Node: spec.Node, Dir: spec.Dir, Resource: "pid/" + strconv.Itoa(ready.PID),
		URL: ready.URL, MetricsURLs: []string{ready.URL + "/metrics"}, Model: spec.Model,
		TimeScale: spec.TimeScale, GPUsPerEngine: graph.GPUsPerEngine, Scalable: true, Perf: prof,
	}
	if err := atomicfile.WriteJSON(statePath(spec.Dir), processState{Ref: ref, PID: ready.PID, Graph: graph}); err != nil {
		_ = syscall.Kill(-ready.PID, syscall.SIGKILL)
		return schemas.DeploymentRef{}, err
	}
	return ref, nil
}

// waitReady polls for the ready file `sim serve` writes once it listens.
func waitReady(ctx context.Context, path string) (simserver.Ready, error) {
	deadline := time.Now().Add(startTimeout)
	for {
		var ready simserver.Ready
		if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &ready) == nil && ready.URL != "" {
			return ready, nil
		}
		if time.Now().After(deadline) {
			return simserver.Ready{}, fmt.Errorf("did not start within %s", startTimeout)
		}
		select {
		case <-ctx.Done():
			return simserver.Ready{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Scale posts the target to /admin/scale. A 400 (say, more GPUs than the
// machine has) is a refusal.
func (d *Deployer) Scale(ctx context.Context, ref schemas.DeploymentRef, target schemas.Target) (schemas.Workers, error) {
	body, _ := json.Marshal(simserver.ScaleRequest{Prefill: &target.Prefill, Decode: &target.Decode})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ref.URL+"/admin/scale", bytes.NewReader(body))
	if err != nil {
		return schemas.Workers{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok := os.Getenv(simserver.AdminTokenEnv); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := d.env.Client().Do(req)
	if err != nil {
		return schemas.Workers{}, fmt.Errorf("scale %s: %w", ref.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusBadRequest:
		return schemas.Workers{}, fmt.Errorf("%w: %s", deploy.ErrRefused, bytes.TrimSpace(data))
	case resp.StatusCode != http.StatusOK:
		return schemas.Workers{}, fmt.Errorf("scale %s: HTTP %d: %s", ref.URL, resp.StatusCode, bytes.TrimSpace(data))
	}
	var snap sim.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return schemas.Workers{}, fmt.Errorf("scale %s: %w", ref.URL, err)
	}
	return schemas.WorkersOf(snap.PlannerSample(ref.GPUsPerEngine)), nil
}

// Observe scrapes the graph's /metrics.
func (d *Deployer) Observe(ctx context.Context, ref schemas.DeploymentRef) (schemas.Sample, error) {
	if len(ref.MetricsURLs) == 0 {
		return schemas.Sample{}, fmt.Errorf("deployment %s has no metrics URL", ref.Resource)
	}
	return observe.Scrape(ctx, d.env.Client(), ref.MetricsURLs[0], ref.GPUsPerEngine)
}

// Down sends SIGTERM to the process group, SIGKILL after 10 s, and marks
// deployment.json stopped.
func (d *Deployer) Down(ctx context.Context, ref schemas.DeploymentRef) error {
	path := statePath(ref.Dir)
	st, err := readState(ref.Dir)
	if err != nil {
		return nil // nothing recorded, nothing to stop
	}
	if st.PID > 0 && !st.Stopped {
		if err := syscall.Kill(-st.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stop deployment pid %d: %w", st.PID, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for syscall.Kill(st.PID, 0) == nil && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-st.PID, syscall.SIGKILL)
	}
	st.Stopped = true
	return atomicfile.WriteJSON(path, st)
}

func (d *Deployer) health(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := d.env.Client().Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/health: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

func readState(dir string) (processState, error) {
	var st processState
	err := deploy.ReadState(dir, &st)
	return st, err
}
