package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/casefolder"
	"plannerbench/workflows"
)

// soakEnv, set to 1, runs TestSoak (make soak); it is not part of make test.
const soakEnv = "PLANNERBENCH_SOAK"

// TestSoak runs 50 short cases (a request-rate axis of 5 ranges x 10
// repeats, 60 s traces at time scale 20) on one worker with max_parallel 4,
// and checks: every case completes with every trace index recorded once,
// no more than 4 simulated deployments ever run at once, the histories
// stay small, the worker's memory stays bounded. It prints the figures.
func TestSoak(t *testing.T) {
	if os.Getenv(soakEnv) != "1" {
		t.Skip("set " + soakEnv + "=1 (make soak)")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	killSims(t, res)
	w := startWorker(t, srv.Address, res)
	in := matrixInput(t, `
name: soak
backend: {kind: sim, profile: h100-llama8b-2026}
time_scale: 20
trace:
  synth: {time_duration: 60, request_rate_min: 2, request_rate_max: 4, request_rate_period: 30, isl1: 1000, osl1: 50, isl2: 1000, osl2: 50}
cases:
  - {name: load, deployment: 1p1d, planner: {mode: load}}
axes:
  request_rate: [{min: 1, max: 2}, {min: 2, max: 4}, {min: 3, max: 6}, {min: 4, max: 8}, {min: 5, max: 10}]
repeat: 10
max_parallel: 4
`)
	require.Len(t, in.Cases, 50)

	// Watch the worker's resident memory and the simulated deployments
	// running at once (their `sim serve` processes under this results dir).
	var mu sync.Mutex
	peakRSS, peakSims := 0, 0
	ctx, stop := context.WithCancel(context.Background())
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for ctx.Err() == nil {
			rss := rssKiB(w.cmd.Process.Pid)
			sims := countSims(res)
			mu.Lock()
			peakRSS, peakSims = max(peakRSS, rss), max(peakSims, sims)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()

	start := time.Now()
	run := startMatrix(t, c, in)
	rctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(rctx, &out))
	wall := time.Since(start)
	stop()
	watch.Wait()
	require.Zero(t, out.Failed, "%+v", out.Cases)
	require.Len(t, out.Cases, 50)

	traceSeconds, largest, largestID := 0.0, 0, ""
	for _, oc := range out.Cases {
		dir := filepath.Join(res, in.Name, oc.ID)
		sum, err := casefolder.ReadSummary(dir)
		require.NoError(t, err)
		checkRequests(t, dir, sum.Requests)
		traceSeconds += 60
		for _, id := range []string{workflows.CaseID(in.Name, oc.ID), workflows.PlannerID(in.Name, oc.ID)} {
			if n := historyLength(t, c, id, ""); n > largest {
				largest, largestID = n, id
			}
		}
	}
	matrixEvents := historyLength(t, c, workflows.MatrixID(in.Name, in.Hash), "")
	t.Logf("soak: 50 cases completed in %.1f s of wall time; their traces sum to %.0f s (%.1f s at time scale 20, %.1f s with 4 at a time)",
		wall.Seconds(), traceSeconds, traceSeconds/20, traceSeconds/20/4)
	t.Logf("soak: at most %d simulated deployments at once (max_parallel 4); largest history %d events (%s), matrix %d events; worker peak RSS %.1f MiB",
		peakSims, largest, largestID, matrixEvents, float64(peakRSS)/1024)
	require.LessOrEqual(t, peakSims, 4, "max_parallel is never exceeded")
	require.Less(t, largest, 2000, "case and planner histories stay small")
	require.Less(t, matrixEvents, 2000, "the matrix's history stays small")
	require.Less(t, peakRSS, 512*1024, "the worker's memory stays bounded")
}

// rssKiB is a process's resident memory from /proc (0 when unreadable).
func rssKiB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// countSims counts running `sim serve` processes started for cases under
// results (their command line names a graph file there).
func countSims(results string) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		s := string(cmd)
		if strings.Contains(s, "sim\x00serve") && strings.Contains(s, results) {
			n++
		}
	}
	return n
}
