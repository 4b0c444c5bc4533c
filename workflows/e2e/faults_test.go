package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

// TestFaultsDuringACase switches the simulator's faults on, one after the
// other, while a planner case runs through the whole pipeline: 503s,
// dropped streams and latency spikes, a broken then garbled /metrics, a
// crashed decode worker, workers that never become ready. The case
// completes; every request is recorded once with its error class and the
// summary counts them; the planner goes on, skipping windows without
// metrics.
func TestFaultsDuringACase(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	killSims(t, res)
	startWorker(t, srv.Address, res)
	in := matrixInput(t, `
name: faults
backend: {kind: sim, profile: h100-llama8b-2026}
time_scale: 10
trace:
  synth: {time_duration: 300, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150}
cases:
  - {name: planner, deployment: {prefill: 1, decode: 3}, planner: {mode: load, blocking_scaling: false}}
`)
	// The planner does not block here: the check that a window without
	// metrics is skipped needs it sampling on its 10 s grid during the
	// metrics outage (60 s of trace), and a blocking planner may be waiting
	// out a start-up (45 s) then, sampling nothing either way (CI saw 14
	// decisions, none on an empty window).
	run := startMatrix(t, c, in)
	dir := payload.CaseDir(res, "faults", "planner")
	require.Eventually(t, func() bool {
		parts, _ := results.ListParts(casefolder.RequestsPath(dir))
		return len(parts) >= 1
	}, 2*time.Minute, 100*time.Millisecond)
	var ready struct {
		URL string `json:"url"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "ready.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ready))
	post := func(path, body string) {
		resp, err := http.Post(ready.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "%s %s: %s", path, body, answer)
		t.Logf("fault: %s %s: %s", path, body, strings.TrimSpace(string(answer)))
	}
	// readyDecode names a ready decode worker, from /admin/state.
	readyDecode := func() string {
		resp, err := http.Get(ready.URL + "/admin/state")
		require.NoError(t, err)
		defer resp.Body.Close()
		var snap struct {
			Workers []struct{ Name, Role, State string }
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
		for _, w := range snap.Workers {
			if w.Role == "decode" && w.State == "ready" {
				return w.Name
			}
		}
		t.Fatal("no ready decode worker")
		return ""
	}
	// First, while three decode workers serve, one crashes: its requests
	// fail, the others take the rest (the load planner never removes the
	// last decode worker, but it does not replace a crashed one either).
	post("/admin/crash", `{"worker": "`+readyDecode()+`"}`)
	time.Sleep(2 * time.Second)
	post("/admin/faults", `{"http_error_rate": 0.2}`)
	time.Sleep(2 * time.Second)
	post("/admin/faults", `{"stream_drop_rate": 0.2, "latency_spike_rate": 0.2, "latency_spike": "2s"}`)
	time.Sleep(2 * time.Second)
	post("/admin/faults", `{"metrics": "error"}`)
	time.Sleep(3 * time.Second)
	post("/admin/faults", `{"metrics": "garbage"}`)
	time.Sleep(3 * time.Second)
	post("/admin/faults", `{"never_ready": true}`)
	time.Sleep(3 * time.Second)
	post("/admin/faults", `{}`)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	statuses := checkRequests(t, dir, out.Cases[0].Result.Rows)
	sum, err := casefolder.ReadSummary(dir)
	require.NoError(t, err)
	t.Logf("faults: requests %v, errors by class %v", statuses, sum.ErrorsByClass)
	require.Greater(t, sum.ErrorsByClass[schemas.ErrClassHTTP], 0, "503s recorded as HTTP errors")
	require.Greater(t, sum.ErrorsByClass[schemas.ErrClassStream], 0, "dropped and crashed streams recorded as stream errors")
	require.Equal(t, statuses[schemas.StatusError], sum.Errors, "the summary counts every failed request")

	decisions, err := results.ReadDecisions(filepath.Join(dir, casefolder.DecisionsFile))
	require.NoError(t, err)
	skipped := 0
	for _, d := range decisions {
		if strings.Contains(d.Reason, "no metric samples") {
			skipped++
		}
	}
	t.Logf("faults: %d planner decisions, %d of them on a window without metrics", len(decisions), skipped)
	require.Greater(t, skipped, 0, "a window without metrics is skipped")
	require.Greater(t, len(decisions)-skipped, 5, "the planner goes on")
	var samples []schemas.Sample
	data, err = os.ReadFile(filepath.Join(dir, casefolder.SamplesFile))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var s schemas.Sample
		require.NoError(t, json.Unmarshal([]byte(line), &s))
		samples = append(samples, s)
	}
	stuck := 0
	for _, s := range samples {
		stuck = max(stuck, s.PrefillStarting+s.DecodeStarting)
	}
	t.Logf("faults: %d samples; up to %d workers starting at once", len(samples), stuck)
}
