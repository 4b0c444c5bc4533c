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

	"plannerbench/internal/casefolder"
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
	res := resultsDir(t)
	bin := workerBinary(t)

	url := startOutsideSim(t, res, bin)

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
  synth: {%s}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load, %s}}
`, url, url, hook, seedTimeScale, seedSynth, seedThresholds))
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

	checkOutsideSimCase(t, "endpoint", dir, filepath.Join(res, in.Name, "traces"))
}

// checkOutsideSimCase checks a case run against startOutsideSim's
// process: its records, and its results held to replays as the seed's
// cases are (checkLive), the replay running the sim backend's graph,
// which is what the outside process runs.
func checkOutsideSimCase(t *testing.T, name, dir, traces string) {
	sum, err := casefolder.ReadSummary(dir)
	require.NoError(t, err)
	checkRequests(t, dir, sum.Requests)
	spec, err := casefolder.ReadSpec(dir)
	require.NoError(t, err)
	spec.Backend = schemas.Backend{Kind: schemas.BackendSim, Profile: seedProfile, Graph: seedGraph}
	checkLive(t, name, dir, traces, spec)
}

// startOutsideSim starts `sim serve` as an outside process: the seed's
// graph at 1p1d on the seed's profile (TestSeedMatrixEndToEnd's
// settings). It returns the server's URL.
func startOutsideSim(t *testing.T, res, bin string) string {
	ready := filepath.Join(res, "outside-ready.json")
	sim := exec.Command(bin, "sim", "serve", "--port", "0", "--ready-file", ready, "--config", seedGraph+"_1p1d",
		"--profile", seedProfile, "--time-scale", fmt.Sprint(seedTimeScale))
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
	return url
}
