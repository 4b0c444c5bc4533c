package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.yaml.in/yaml/v3"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simcmd"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// deploymentState is deployment.json: what is running for a case.
type deploymentState struct {
	Ref     DeploymentRef   `json:"ref"`
	Graph   sim.GraphConfig `json:"graph"`
	Stopped bool            `json:"stopped"`
}

// Deploy ensures the case's deployment runs and returns its reference. For
// the simulator it starts `EXE sim serve` as its own process group (so it
// outlives a worker crash), records pid, URL and configuration in
// deployment.json, and on a retry finds it still running instead of
// starting another.
func (a *Activities) Deploy(ctx context.Context, in DeployInput) (DeploymentRef, error) {
	if in.Backend.Kind != schemas.BackendSim {
		return DeploymentRef{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("backend %q: this worker deploys the simulator only (a dynamo backend is not implemented yet)", in.Backend.Kind), ErrUnsupported, nil)
	}
	prof, err := sim.LoadProfile(in.Backend.Profile)
	if err != nil {
		return DeploymentRef{}, asValidation(err)
	}
	graph := sim.ForDeployment(in.Deployment)
	graph.Model = in.Model
	graph.GPUsPerEngine = max(in.GPUsPerEngine, 1)
	if err := graph.Validate(); err != nil {
		return DeploymentRef{}, asValidation(err)
	}
	dir := a.caseDir(in.Case)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return DeploymentRef{}, err
	}
	statePath := filepath.Join(dir, DeploymentFile)
	if ref, ok := a.stillRunning(ctx, statePath, graph); ok {
		activity.GetLogger(ctx).Info("deployment already running", "url", ref.URL, "pid", ref.PID)
		return ref, nil
	}
	graphPath := filepath.Join(dir, "graph.yml")
	data, _ := yaml.Marshal(graph)
	if err := os.WriteFile(graphPath, data, 0o644); err != nil {
		return DeploymentRef{}, err
	}
	readyPath := filepath.Join(dir, "ready.json")
	_ = os.Remove(readyPath)
	logFile, err := os.OpenFile(filepath.Join(dir, "sim.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return DeploymentRef{}, err
	}
	defer logFile.Close()
	cmd := exec.Command(a.Executable, "sim", "serve", "--port", "0", "--ready-file", readyPath, "--config", graphPath,
		"--profile", in.Backend.Profile, "--time-scale", strconv.FormatFloat(in.TimeScale, 'g', -1, 64), "--model", in.Model)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: a signal to the worker's group spares it
	if err := cmd.Start(); err != nil {
		return DeploymentRef{}, fmt.Errorf("start %s sim serve: %w", a.Executable, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it exits while this worker lives
	var ready simcmd.Ready
	deadline := time.Now().Add(30 * time.Second)
	for {
		if data, err := os.ReadFile(readyPath); err == nil && json.Unmarshal(data, &ready) == nil && ready.URL != "" {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return DeploymentRef{}, fmt.Errorf("sim serve did not start within 30s (see %s)", filepath.Join(dir, "sim.log"))
		}
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return DeploymentRef{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	ref := DeploymentRef{Node: a.Node, URL: ready.URL, PID: ready.PID, StateFile: statePath, Model: in.Model,
		TimeScale: in.TimeScale, GPUsPerEngine: graph.GPUsPerEngine, Profile: *prof}
	if err := results.WriteJSON(statePath, deploymentState{Ref: ref, Graph: graph}); err != nil {
		return DeploymentRef{}, err
	}
	return ref, nil
}

// stillRunning reports a recorded deployment that is alive, healthy and
// of the same configuration.
func (a *Activities) stillRunning(ctx context.Context, statePath string, graph sim.GraphConfig) (DeploymentRef, bool) {
	data, err := os.ReadFile(statePath)
	if err != nil {
		return DeploymentRef{}, false
	}
	var st deploymentState
	if json.Unmarshal(data, &st) != nil || st.Stopped || st.Ref.Node != a.Node {
		return DeploymentRef{}, false
	}
	want, _ := json.Marshal(graph)
	got, _ := json.Marshal(st.Graph)
	if string(want) != string(got) || syscall.Kill(st.Ref.PID, 0) != nil {
		return DeploymentRef{}, false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.Ref.URL+"/health", nil)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return DeploymentRef{}, false
	}
	resp.Body.Close()
	return st.Ref, resp.StatusCode == http.StatusOK
}

// Teardown stops a deployment: SIGTERM to its process group, SIGKILL after
// 10 s, and marks deployment.json stopped. Stopping a stopped one is fine.
func (a *Activities) Teardown(ctx context.Context, ref DeploymentRef) error {
	if ref.PID > 0 {
		if err := syscall.Kill(-ref.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stop deployment pid %d: %w", ref.PID, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for syscall.Kill(ref.PID, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-ref.PID, syscall.SIGKILL)
	}
	if ref.StateFile == "" {
		return nil
	}
	data, err := os.ReadFile(ref.StateFile)
	if err != nil {
		return nil
	}
	var st deploymentState
	if json.Unmarshal(data, &st) == nil {
		st.Stopped = true
		return results.WriteJSON(ref.StateFile, st)
	}
	return nil
}
