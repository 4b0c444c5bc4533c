package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"plannerbench/activities/payload"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/report"
	"plannerbench/internal/results"
	"plannerbench/internal/tclient"
	"plannerbench/schemas"
	"plannerbench/workflows"
)

// matrixInput parses a matrix and expands it.
func matrixInput(t *testing.T, yaml string) workflows.MatrixInput {
	m, err := schemas.ParseMatrix([]byte(yaml), "e2e.yaml")
	require.NoError(t, err)
	return workflows.MatrixInput{Name: m.Name, Hash: "e2e", Cases: m.Expand(), MaxParallel: m.MaxParallel}
}

func startMatrix(t *testing.T, c client.Client, in workflows.MatrixInput) client.WorkflowRun {
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.MatrixID(in.Name, in.Hash), TaskQueue: payload.SharedQueue,
	}, workflows.MatrixWorkflowName, in)
	require.NoError(t, err)
	return run
}

// historyLength counts a workflow run's events.
func historyLength(t *testing.T, c client.Client, id, runID string) int {
	iter := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for iter.HasNext() {
		_, err := iter.Next()
		require.NoError(t, err)
		n++
	}
	return n
}

// checkRequests asserts a finished case's requests were compacted into
// one requests.parquet (no part left), that each trace index appears
// exactly once, and that the AIPerf exports were written.
func checkRequests(t *testing.T, caseDir string, rows int) map[string]int {
	files, err := results.TableFiles(casefolder.RequestsPath(caseDir))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(caseDir, "requests.parquet")}, files, "one compacted file, no parts")
	for _, f := range []string{aiperf.RecordsFile, aiperf.SummaryJSONFile, aiperf.SummaryCSVFile} {
		require.FileExists(t, filepath.Join(caseDir, f))
	}
	recs, err := casefolder.ReadRequests(context.Background(), caseDir)
	require.NoError(t, err, "the table is a valid Parquet file")
	require.Len(t, recs, rows)
	statuses := map[string]int{}
	shown := 0
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index, "index %d exactly once", i)
		statuses[r.Status]++
		if r.Status == schemas.StatusError && shown < 5 {
			shown++
			t.Logf("row %d: %s %s (HTTP %d, %d chunks, attempt %d)", r.Index, r.ErrorClass, r.Error, r.HTTPStatus, r.Chunks, r.Attempt)
		}
	}
	return statuses
}

// seedTimeScale is the seed test's speed-up, the demo's. Both cases run at
// once on the machine's cores; the faster they run, the more the load
// driver and the simulators fall behind their schedule, which stretches
// the load and parts the live run from its replay (docs/performance.md
// has how far at each speed).
const seedTimeScale = 5.0

// seedProfile is examples/seed.yaml's profile (the seed's matrix: its
// graph, trace phase and thresholds are written out in the test).
const seedProfile = "h100-llama8b-seedfit"

// seedGraph, seedSynth and seedThresholds are the rest of
// examples/seed.yaml's settings: the guide's graph, its trace (the guide's
// sin_synth.py, phase mean) and its planner thresholds.
const (
	seedGraph      = "planner_benchmark"
	seedSynth      = "time_duration: 600, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150, phase: mean"
	seedThresholds = "prefill_queue_scale_up_threshold: 10, prefill_queue_scale_down_threshold: 0.2, decode_kv_scale_up_threshold: 0.6, decode_kv_scale_down_threshold: 0.3"
)

// TestSeedMatrixEndToEnd runs the seed's two cases (examples/seed.yaml:
// the guide's graph, trace and thresholds, the fitted profile, blocking
// scaling) on a real server, checks every result file, and checks
// that each case agrees with a virtual-time replay of the same trace; it
// reports each case's wall-time overhead and history length.
func TestSeedMatrixEndToEnd(t *testing.T) {
	address := os.Getenv("PLANNERBENCH_E2E_ADDRESS") // a server .ci/run started
	var c client.Client
	if address == "" {
		srv := startDevServer(t)
		address, c = srv.Address, srv.client(t)
	} else {
		temporalCLI(t)
		var err error
		c, err = tclient.Dial(context.Background(), &tclient.Options{Address: address, Namespace: "default"}, nil)
		require.NoError(t, err)
		defer c.Close()
	}
	res := resultsDir(t)
	killSims(t, res)
	// A planted secret: the simulator's admin token, which the worker and
	// its simulators read from the environment. It must reach no history,
	// log or result (checked at the end).
	secret := fmt.Sprintf("pb-secret-%d", time.Now().UnixNano())
	t.Setenv(simserver.AdminTokenEnv, secret)
	startWorker(t, address, res)
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-seed
backend: {kind: sim, profile: %s, graph: %s}
time_scale: %g
trace:
  synth: {%s}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load, %s}}
  - {name: 2p2d, deployment: 2p2d, planner: {mode: noop}}
max_parallel: 2
`, seedProfile, seedGraph, seedTimeScale, seedSynth, seedThresholds))
	run := startMatrix(t, c, in)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	require.NotNil(t, out.Comparison)
	data, err := os.ReadFile(out.Comparison.Comparison)
	require.NoError(t, err)
	var cmp report.Comparison
	require.NoError(t, json.Unmarshal(data, &cmp))
	require.Len(t, cmp.Sentences, 1)
	t.Logf("comparison: %s", cmp.Sentences[0])

	for _, oc := range out.Cases {
		require.Equal(t, "completed", oc.Status, oc.Error)
		dir := oc.Result.Dir
		for _, f := range []string{casefolder.SummaryFile, casefolder.TimelineFile, "case.json", casefolder.SamplesFile} {
			require.FileExists(t, filepath.Join(dir, f))
		}
		events, _ := filepath.Glob(filepath.Join(dir, casefolder.TensorBoardDir, "events.out.tfevents.*"))
		require.Len(t, events, 1)
		statuses := checkRequests(t, dir, oc.Result.Rows)
		require.Equal(t, oc.Result.Rows, statuses[schemas.StatusOK], "%v", statuses)

		// Overhead and history size of the case.
		id := workflows.CaseID(in.Name, oc.ID)
		desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err)
		info := desc.GetWorkflowExecutionInfo()
		wall := info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime())
		sum, err := casefolder.ReadSummary(dir)
		require.NoError(t, err)
		loadWall := time.Duration(sum.DurationS / seedTimeScale * float64(time.Second))
		benchEvents := historyLength(t, c, id, "")
		plannerEvents := historyLength(t, c, workflows.PlannerID(in.Name, oc.ID), "")
		traceWall := 600 / seedTimeScale
		t.Logf("case %s: wall %.1fs, trace 600s/%g = %.0fs, load took %.1fs of wall time (requests until the last answer), overhead beyond the trace: %.1fs, beyond the load: %.1fs; history: benchmark %d events, planner %d events",
			oc.ID, wall.Seconds(), seedTimeScale, traceWall, loadWall.Seconds(), wall.Seconds()-traceWall, (wall - loadWall).Seconds(), benchEvents, plannerEvents)
		require.Less(t, benchEvents, 2000)
		require.Less(t, plannerEvents, 2000)

		// The live run against replays of it, on what is stable
		// (checkLive says why and how); both cases are reported before
		// either fails the test.
		spec, err := casefolder.ReadSpec(dir)
		require.NoError(t, err)
		checkLive(t, oc.ID, dir, filepath.Join(res, in.Name, "traces"), spec)
	}
	var ids []string
	for _, oc := range out.Cases {
		ids = append(ids, workflows.CaseID(in.Name, oc.ID), workflows.PlannerID(in.Name, oc.ID))
	}
	// Nothing left pending on any closed workflow (the UI's "Pending
	// Activities"): the metric collector, cancelled when the load ends, was
	// waited for.
	for id, st := range requireClosedCleanly(t, c, append(ids, workflows.MatrixID(in.Name, in.Hash))...) {
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, st, id)
	}
	requireSecretNowhere(t, c, secret, res, append(ids, workflows.MatrixID(in.Name, in.Hash))...)
	if os.Getenv(recordHistoriesEnv) == "1" {
		recordHistories(t, c, in, "planner")
	}
}
