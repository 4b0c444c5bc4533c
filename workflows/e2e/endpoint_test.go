package e2e

import (
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

	"plannerbench/internal/results"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

// TestEndpointBackendAgainstAnOutsideSimulator runs the seed's planner case
// with backend endpoint against `sim serve` started here as an outside
// process: plannerbench observes it only through Dynamo's and vLLM's
// metric names and scales it only through the scale hook (`sim scale`).
// Its results are held to the same band of virtual-time replays as the
// sim backend's.
func TestEndpointBackendAgainstAnOutsideSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	bin := workerBinary(t)

	// The outside deployment: the seed graph at 1p1d on the default profile.
	ready := filepath.Join(res, "outside-ready.json")
	sim := exec.Command(bin, "sim", "serve", "--port", "0", "--ready-file", ready, "--config", "disagg_router_1p1d",
		"--profile", schemas.DefaultProfile, "--time-scale", fmt.Sprint(seedTimeScale))
	log, err := os.Create(filepath.Join(res, "outside-sim.log"))
	require.NoError(t, err)
	sim.Stdout, sim.Stderr = log, log
	sim.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, sim.Start())
	t.Cleanup(func() { _ = syscall.Kill(-sim.Process.Pid, syscall.SIGKILL); _ = sim.Wait(); log.Close() })
	var url string
	require.Eventually(t, func() bool {
		var r struct {
			URL string `json:"url"`
		}
		data, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(data, &r) == nil {
			url = r.URL
		}
		return url != ""
	}, 30*time.Second, 50*time.Millisecond)

	startWorker(t, srv.Address, res)
	hook := fmt.Sprintf(`%s sim scale --url "$PLANNERBENCH_URL" --prefill "$PLANNERBENCH_PREFILL" --decode "$PLANNERBENCH_DECODE"`, bin)
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-endpoint
backend:
  kind: endpoint
  url: %s
  metrics: [%s/metrics]
  metrics_dialect: dynamo
  scale_command: '%s'
time_scale: %g
trace:
  synth: {time_duration: 600, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load}}
`, url, url, hook, seedTimeScale))
	run := startMatrix(t, c, in)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	require.Len(t, out.Cases, 1)

	dir := filepath.Join(res, in.Name, out.Cases[0].ID)
	hookLog, err := os.ReadFile(filepath.Join(dir, "scale.log"))
	require.NoError(t, err)
	scales := strings.Count(string(hookLog), " scale to ")
	t.Logf("scale hook ran %d times (the first sets 1p1d)", scales)
	require.Greater(t, scales, 1, "the planner scaled through the hook")

	sum, err := results.ReadSummary(dir)
	require.NoError(t, err)
	checkRequests(t, dir, sum.Requests)
	spec, err := results.ReadSpec(dir)
	require.NoError(t, err)
	// The replay runs the sim backend's graph: what the outside process runs.
	spec.Backend = schemas.Backend{Kind: schemas.BackendSim, Profile: schemas.DefaultProfile}
	// Held to replays that keep the live run's timing, as the seed's
	// planner case is (TestSeedMatrixEndToEnd says why).
	timings, timing := liveTiming(t, dir, filepath.Join(res, in.Name, "traces"))
	lat, gpus := replayBand(t, spec, filepath.Join(res, in.Name, "traces"), timings)
	t.Logf("endpoint case: live vs %d replays with its timing (%s): avg latency %.1f vs %.1f..%.1f ms (%+.1f%% vs the one as recorded), avg num_gpu %.3f vs %.3f..%.3f (%+.1f%%)",
		len(timings), timing, sum.AvgRequestLatencyMS, lat[0], lat[1], pct(sum.AvgRequestLatencyMS, lat[2]), sum.AvgNumGPU, gpus[0], gpus[1], pct(sum.AvgNumGPU, gpus[2]))
	withinBand(t, "endpoint: average request latency", sum.AvgRequestLatencyMS, lat)
	withinBand(t, "endpoint: time-averaged num_gpu", sum.AvgNumGPU, gpus)
}
