package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/workflows"
)

// TestChaosDuringMatrix runs the seed's two cases at time scale 10 while
// it kills the worker with SIGKILL three times, kills one case's simulator
// once and restarts the dev server once. Every case must end (completed,
// or failed with a reason), every trace index be recorded exactly once in a
// completed case, no simulated deployment be left running, and the
// matrix's comparison be written.
func TestChaosDuringMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	res := t.TempDir()
	killSims(t, res)
	workers := []*workerProc{startWorker(t, srv.Address, res)}
	c := srv.client(t)
	in := matrixInput(t, `
name: chaos
backend: {kind: sim, profile: h100-llama8b-2026}
time_scale: 10
trace:
  synth: {time_duration: 600, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load}}
  - {name: 2p2d, deployment: 2p2d, planner: {mode: noop}}
max_parallel: 2
`)
	run := startMatrix(t, c, in)
	runID := run.GetRunID()
	for _, name := range []string{"planner", "2p2d"} {
		dir := payload.CaseDir(res, "chaos", name)
		require.Eventually(t, func() bool {
			parts, _ := results.ListParts(casefolder.RequestsPath(dir))
			return len(parts) >= 1
		}, 2*time.Minute, 100*time.Millisecond, "case %s is loading", name)
	}

	killWorker := func(n int) {
		workers[len(workers)-1].kill()
		t.Logf("chaos: worker killed (%d of 3)", n)
		time.Sleep(2 * time.Second)
		workers = append(workers, startWorker(t, srv.Address, res))
	}
	killWorker(1)
	time.Sleep(4 * time.Second)
	pid := simPID(t, payload.CaseDir(res, "chaos", "2p2d"))
	require.NoError(t, syscall.Kill(-pid, syscall.SIGKILL))
	t.Logf("chaos: the 2p2d case's simulator (pid %d) killed", pid)
	time.Sleep(4 * time.Second)
	killWorker(2)
	time.Sleep(4 * time.Second)
	srv.restart(3 * time.Second)
	t.Log("chaos: dev server restarted")
	c = srv.client(t)
	time.Sleep(4 * time.Second)
	killWorker(3)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, c.GetWorkflow(ctx, run.GetID(), runID).Get(ctx, &out))
	require.Len(t, out.Cases, 2)
	completed := 0
	for _, oc := range out.Cases {
		switch {
		case oc.Status == "completed" && oc.Result != nil:
			completed++
			statuses := checkRequests(t, payload.CaseDir(res, "chaos", oc.ID), oc.Result.Rows)
			t.Logf("chaos: case %s completed: %d rows %v", oc.ID, oc.Result.Rows, statuses)
		default:
			require.NotEmpty(t, oc.Error, "a case that did not complete says why")
			t.Logf("chaos: case %s failed: %s", oc.ID, oc.Error)
		}
	}
	require.GreaterOrEqual(t, completed, 1)
	require.NotNil(t, out.Comparison, "the comparison is written")
	require.FileExists(t, out.Comparison.Comparison)
	require.Eventually(t, func() bool { return countSims(res) == 0 }, 30*time.Second, 200*time.Millisecond,
		"no simulated deployment is left running")
	// Completed or failed, nothing is left pending on a closed workflow.
	ids := []string{run.GetID()}
	for _, oc := range out.Cases {
		ids = append(ids, workflows.CaseID(in.Name, oc.ID), workflows.PlannerID(in.Name, oc.ID))
	}
	requireClosedCleanly(t, c, ids...)
}

// simPID reads a case's simulator pid from its ready file.
func simPID(t *testing.T, caseDir string) int {
	data, err := os.ReadFile(filepath.Join(caseDir, "ready.json"))
	require.NoError(t, err)
	var r struct {
		PID int `json:"pid"`
	}
	require.NoError(t, json.Unmarshal(data, &r))
	require.Positive(t, r.PID)
	return r.PID
}
