package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

// TestExternalPlannersEndToEnd runs planners outside plannerbench in live
// cases on a real dev server: a stand-in for Dynamo's planner speaking its
// VirtualConnector (dynamotest's Coordinator, upstream's logic, as the
// case's command, with the case's own embedded etcd), and the example
// HTTP planner (python3; that case is left out without it). Each scales
// the simulated graph; its decisions are recorded as plannerbench's own
// are, and everything the case started is gone after it.
func TestExternalPlannersEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	planner := filepath.Join(t.TempDir(), "virtualplanner")
	build := exec.Command("go", "build", "-o", planner, "./internal/extplanner/dynamotest/virtualplanner")
	build.Dir = repoRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	startWorker(t, srv.Address, res)

	cases := fmt.Sprintf(`
  - name: dynamo
    deployment: 1p1d
    planner:
      mode: external
      adjustment_interval: 2s
      external:
        protocol: dynamo-virtual
        command: %s -script 2p1d@2s,2p2d@8s,1p1d@16s -check-interval 200ms`, planner)
	python := false
	if _, err := exec.LookPath("python3"); err == nil {
		python = true
		port := freePort(t)
		cases += fmt.Sprintf(`
  - name: http
    deployment: 1p1d
    planner:
      mode: external
      adjustment_interval: 10s
      external:
        protocol: http
        url: http://127.0.0.1:%d/
        command: exec python3 %s/examples/planners/threshold.py %d`, port, repoRoot(), port)
	} else {
		t.Log("python3 is not installed: the HTTP example planner's case is left out")
	}
	// The stand-in waits for each decision to complete: an add takes the
	// profile's start-up (42.5 s of trace, 21 s of wall time at 2x), so its
	// third decision comes about 47 s of wall time in, and the trace (120 s,
	// 60 s of wall time) must outlast it and the removal's drain; its load
	// (2-8 req/s) is light enough that the queue drains soon after.
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-external
time_scale: 2
trace:
  synth: {time_duration: 120, request_rate_min: 2, request_rate_max: 8, request_rate_period: 30, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150}
cases:%s
max_parallel: 2
`, cases))
	run := startMatrix(t, c, in)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var mres workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &mres))
	require.Zero(t, mres.Failed, "%+v", mres.Cases)

	decisions := func(id string) []schemas.Decision {
		f, err := os.Open(filepath.Join(res, in.Name, id, casefolder.DecisionsFile))
		require.NoError(t, err)
		defer f.Close()
		var out []schemas.Decision
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var d schemas.Decision
			require.NoError(t, json.Unmarshal(sc.Bytes(), &d))
			out = append(out, d)
		}
		return out
	}
	stopped := func(id string) {
		data, err := os.ReadFile(filepath.Join(res, in.Name, id, casefolder.PlannerEnvFile))
		require.NoError(t, err)
		var env payload.PlannerEnvRef
		require.NoError(t, json.Unmarshal(data, &env))
		require.NotEmpty(t, env.Groups)
		for _, g := range env.Groups {
			require.Eventually(t, func() bool { return syscall.Kill(-g, 0) != nil }, 10*time.Second, 100*time.Millisecond,
				"%s: process group %d stopped with the case", id, g)
		}
		sum, err := casefolder.ReadSummary(filepath.Join(res, in.Name, id))
		require.NoError(t, err)
		checkRequests(t, filepath.Join(res, in.Name, id), sum.Requests)
	}

	// dynamo-virtual: the three decisions were carried out, in order, and
	// each acknowledged (the stand-in planner logs each completion).
	var reasons []string
	for _, d := range decisions("dynamo") {
		require.Equal(t, schemas.PlannerExternal, d.Mode)
		if d.Changes() {
			reasons = append(reasons, d.Reason)
		}
	}
	require.Equal(t, []string{
		"external: dynamo-virtual decision 0: 2p1d",
		"external: dynamo-virtual decision 1: 2p2d",
		"external: dynamo-virtual decision 2: 1p1d",
	}, reasons)
	log, err := os.ReadFile(filepath.Join(res, in.Name, "dynamo", "planner.log"))
	require.NoError(t, err)
	for id := 0; id < 3; id++ {
		require.Contains(t, string(log), fmt.Sprintf("decision %d completed", id), "%s", log)
	}
	stopped("dynamo")

	if python {
		scaled := 0
		for _, d := range decisions("http") {
			require.True(t, strings.HasPrefix(d.Reason, "external: wants "), d.Reason)
			if d.Scaled {
				scaled++
			}
		}
		require.Greater(t, scaled, 0, "the example planner scaled the graph")
		stopped("http")
	}
}
