package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/extplanner"
	"plannerbench/schemas"
)

func externalOptions(t *testing.T, url string) Options {
	opts := options(t, "h100-llama8b-profiled", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerExternal)
	opts.Planner.External = &schemas.ExternalPlanner{Protocol: schemas.ProtocolHTTP, URL: url, Timeout: schemas.Duration(300 * time.Millisecond)}
	return opts
}

// A planner over HTTP in virtual time: every interval is asked once, in
// order; a good answer scales, a bad one (HTTP error, timeout, nonsense)
// and one over the GPU budget are recorded and change nothing.
func TestReplayAsksAnHTTPPlannerEachInterval(t *testing.T) {
	var mu sync.Mutex
	var seen []schemas.ExternalRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req schemas.ExternalRequest
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		switch req.Interval {
		case 2:
			fmt.Fprint(w, `{"prefill": 2, "decode": 3, "reason": "grow"}`)
		case 3:
			http.Error(w, "planner crashed", 500)
		case 4:
			time.Sleep(time.Second) // past the 300 ms timeout
		case 5:
			fmt.Fprint(w, `not json`)
		case 6:
			fmt.Fprint(w, `{"prefill": 5, "decode": 5, "reason": "too big"}`)
		default:
			fmt.Fprintf(w, `{"prefill": %d, "decode": %d}`, req.Workers.Prefill+req.Workers.PrefillStarting, req.Workers.Decode+req.Workers.DecodeStarting)
		}
	}))
	defer srv.Close()
	res, err := Run(context.Background(), externalOptions(t, srv.URL))
	require.NoError(t, err)
	require.Len(t, seen, len(res.Decisions), "one call an adjustment interval")
	for i, req := range seen {
		require.Equal(t, i+1, req.Interval)
		require.InDelta(t, float64(10*(i+1)), req.AtS, 1.5, "interval %d", i+1)
		require.Equal(t, 8, req.Budget.MaxGPUs)
	}
	require.NotEmpty(t, seen[1].Samples)
	d := res.Decisions
	require.Equal(t, "external: wants 1p1d: no reason given", d[0].Reason)
	require.Equal(t, "external: wants 2p3d: grow", d[1].Reason)
	require.Equal(t, 1, d[1].DeltaPrefill)
	require.Equal(t, 2, d[1].DeltaDecode)
	require.True(t, d[1].Scaled)
	require.Contains(t, d[2].Reason, "external: bad answer: HTTP 500: planner crashed")
	require.Contains(t, d[3].Reason, "external: bad answer: no answer within 300ms")
	require.Contains(t, d[4].Reason, "external: bad answer: not the protocol's JSON")
	require.Contains(t, d[5].Reason, "refused: 5p5d needs 10 GPUs, over the budget of 8")
	for _, k := range []int{2, 3, 4, 5} {
		require.False(t, d[k].Changes(), "decision %d changes nothing", k+1)
	}
	require.Equal(t, schemas.PlannerExternal, d[0].Mode)
}

// The example planner in examples/planners, run with python3 (skipped
// without it), evaluated on the seed trace in replay.
func TestReplayRunsTheExamplePythonPlanner(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the example planner cannot run")
	}
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	p, err := extplanner.Start(".", fmt.Sprintf("exec python3 ../../examples/planners/threshold.py %d", port), nil, filepath.Join(t.TempDir(), "planner.log"))
	require.NoError(t, err)
	defer p.Stop(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, extplanner.WaitListening(ctx, url, p))
	res, err := Run(context.Background(), externalOptions(t, url))
	require.NoError(t, err)
	scaled := 0
	for _, d := range res.Decisions {
		require.True(t, strings.HasPrefix(d.Reason, "external: wants "), d.Reason)
		require.Contains(t, d.Reason, "mean prefill queue")
		if d.Scaled {
			scaled++
		}
	}
	require.Greater(t, scaled, 5, "the example planner follows the sinusoid")
	require.LessOrEqual(t, res.Summary.AvgGPUsHeld, 8.0)
	t.Logf("example planner on the seed trace: %d decisions, %d scaled; avg latency %.1f ms, num_gpu %.3f",
		len(res.Decisions), scaled, res.Summary.AvgRequestLatencyMS, res.Summary.AvgNumGPU)
}

func freePort(t *testing.T) int {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	var port int
	_, err := fmt.Sscanf(srv.URL[strings.LastIndex(srv.URL, ":")+1:], "%d", &port)
	require.NoError(t, err)
	return port
}

// dynamo-virtual's planner runs in wall time: a replay refuses it.
func TestReplayRefusesDynamoVirtual(t *testing.T) {
	opts := externalOptions(t, "")
	opts.Planner.External = &schemas.ExternalPlanner{Protocol: schemas.ProtocolDynamoVirtual}
	_, err := Run(context.Background(), opts)
	require.ErrorContains(t, err, "run it as a live case")
}
