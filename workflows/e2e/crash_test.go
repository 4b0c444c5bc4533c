package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

const crashMatrix = `
name: %s
backend: {kind: sim, profile: h100-llama8b-2026}
time_scale: 4
trace:
  synth: {time_duration: 160, request_rate_min: 2, request_rate_max: 6, request_rate_period: 80, isl1: 1000, osl1: 100, isl2: 1000, osl2: 100}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load}}
`

// waitForStage polls the case's progress query until it reports stage and
// at least one request part exists.
func waitForLoad(t *testing.T, c client.Client, matrix, caseDir string) {
	require.Eventually(t, func() bool {
		q, err := c.QueryWorkflow(context.Background(), workflows.CaseID(matrix, "planner"), "", workflows.ProgressQuery)
		if err != nil {
			return false
		}
		var p workflows.CaseProgress
		if q.Get(&p) != nil || p.Stage != workflows.StageLoad {
			return false
		}
		parts, _ := results.ListParts(casefolder.RequestsPath(caseDir))
		return len(parts) >= 2
	}, 2*time.Minute, 100*time.Millisecond)
}

// TestWorkerKilledDuringDriveLoad kills the worker with SIGKILL while the
// load runs and starts a new one: the workflow completes, every trace index
// is recorded exactly once, and the planner's ticks have no gap longer than
// the outage.
func TestWorkerKilledDuringDriveLoad(t *testing.T) {
	srv := startDevServer(t)
	res := t.TempDir()
	killSims(t, res)
	w := startWorker(t, srv.Address, res)
	c := srv.client(t)
	in := matrixInput(t, fmt.Sprintf(crashMatrix, "crash"))
	run := startMatrix(t, c, in)
	caseDir := payload.CaseDir(res, "crash", "planner")
	waitForLoad(t, c, "crash", caseDir)
	time.Sleep(2 * time.Second)
	w.kill()
	killedAt := time.Now()
	time.Sleep(5 * time.Second)
	startWorker(t, srv.Address, res)
	outage := time.Since(killedAt)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	rows := out.Cases[0].Result.Rows
	statuses := checkRequests(t, caseDir, rows)
	t.Logf("after a %.1fs worker outage: %d rows %v", outage.Seconds(), rows, statuses)
	require.Greater(t, statuses[schemas.StatusOK], rows/2)

	// The planner's ticks: read its final state from the case's history.
	var bench workflows.BenchmarkResult
	require.NoError(t, c.GetWorkflow(ctx, workflows.CaseID("crash", "planner"), "").Get(ctx, &bench))
	ticks := bench.Planner.TickTimes
	require.Greater(t, len(ticks), 10)
	var maxGap time.Duration
	for i := 1; i < len(ticks); i++ {
		maxGap = max(maxGap, ticks[i].Sub(ticks[i-1]))
	}
	interval := 10 * time.Second / 4
	t.Logf("planner: %d ticks every %s, longest gap %.1fs (outage %.1fs)", len(ticks), interval, maxGap.Seconds(), outage.Seconds())
	require.LessOrEqual(t, maxGap, outage+interval+4*time.Second, "no gap in ticks longer than the outage (plus a tick and the new worker's start)")
	require.FileExists(t, filepath.Join(caseDir, casefolder.SummaryFile))
}

// TestServerRestartMidRun stops the dev server while the load runs and
// starts it again on the same database file: the case completes.
func TestServerRestartMidRun(t *testing.T) {
	srv := startDevServer(t)
	res := t.TempDir()
	killSims(t, res)
	startWorker(t, srv.Address, res)
	c := srv.client(t)
	in := matrixInput(t, fmt.Sprintf(crashMatrix, "restart"))
	run := startMatrix(t, c, in)
	caseDir := payload.CaseDir(res, "restart", "planner")
	waitForLoad(t, c, "restart", caseDir)
	srv.restart(3 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	c2 := srv.client(t)
	require.NoError(t, c2.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	statuses := checkRequests(t, caseDir, out.Cases[0].Result.Rows)
	t.Logf("after a server restart: %v", statuses)
	_, err := os.Stat(filepath.Join(caseDir, casefolder.SummaryFile))
	require.NoError(t, err)
}
