package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"plannerbench/activities/payload"
	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/replay"
	"plannerbench/internal/aiperf"
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
	files, err := results.TableFiles(filepath.Join(caseDir, results.RequestsDir))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(caseDir, "requests.parquet")}, files, "one compacted file, no parts")
	for _, f := range []string{aiperf.RecordsFile, aiperf.SummaryJSONFile, aiperf.SummaryCSVFile} {
		require.FileExists(t, filepath.Join(caseDir, f))
	}
	recs, err := results.ReadRequests(context.Background(), filepath.Join(caseDir, results.RequestsDir))
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
// once on the machine's 2 cores; the faster they run, the more the load
// driver and the simulators fall behind their schedule, which stretches
// the load and parts the live run from its replay. Measured here: at 15x
// 2p2d's average latency came out 6.4% under the replay's, at 10x the
// planner case's 3.8% under (7.8% when the machine was also compiling),
// at 5x (make demo) within 0.2%.
const seedTimeScale = 5.0

// seedProfile is examples/seed.yaml's profile (the seed's matrix: its
// graph, trace phase and thresholds are written out in the test).
const seedProfile = "h100-llama8b-seedfit"

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
	res := t.TempDir()
	if keep := os.Getenv(keepResultsEnv); keep != "" {
		res = keep // to look at the live cases afterwards
	}
	killSims(t, res)
	// A planted secret: the simulator's admin token, which the worker and
	// its simulators read from the environment. It must reach no history,
	// log or result (checked at the end).
	secret := fmt.Sprintf("pb-secret-%d", time.Now().UnixNano())
	t.Setenv(sim.AdminTokenEnv, secret)
	startWorker(t, address, res)
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-seed
backend: {kind: sim, profile: %s, graph: planner_benchmark}
time_scale: %g
trace:
  synth: {time_duration: 600, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150, phase: mean}
cases:
  - name: planner
    deployment: 1p1d
    planner: {mode: load, prefill_queue_scale_up_threshold: 10, prefill_queue_scale_down_threshold: 0.2, decode_kv_scale_up_threshold: 0.6, decode_kv_scale_down_threshold: 0.3}
  - {name: 2p2d, deployment: 2p2d, planner: {mode: noop}}
max_parallel: 2
`, seedProfile, seedTimeScale))
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
		for _, f := range []string{results.SummaryFile, results.TimelineFile, "case.json", payload.SamplesFile} {
			require.FileExists(t, filepath.Join(dir, f))
		}
		events, _ := filepath.Glob(filepath.Join(dir, results.TensorBoardDir, "events.out.tfevents.*"))
		require.Len(t, events, 1)
		statuses := checkRequests(t, dir, oc.Result.Rows)
		require.Equal(t, oc.Result.Rows, statuses[schemas.StatusOK], "%v", statuses)

		// Overhead and history size of the case.
		id := workflows.CaseID(in.Name, oc.ID)
		desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err)
		info := desc.GetWorkflowExecutionInfo()
		wall := info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime())
		sum, err := results.ReadSummary(dir)
		require.NoError(t, err)
		loadWall := time.Duration(sum.DurationS / seedTimeScale * float64(time.Second))
		benchEvents := historyLength(t, c, id, "")
		plannerEvents := historyLength(t, c, workflows.PlannerID(in.Name, oc.ID), "")
		traceWall := 600 / seedTimeScale
		t.Logf("case %s: wall %.1fs, trace 600s/%g = %.0fs, load took %.1fs of wall time (requests until the last answer), overhead beyond the trace: %.1fs, beyond the load: %.1fs; history: benchmark %d events, planner %d events",
			oc.ID, wall.Seconds(), seedTimeScale, traceWall, loadWall.Seconds(), wall.Seconds()-traceWall, (wall - loadWall).Seconds(), benchEvents, plannerEvents)
		require.Less(t, benchEvents, 2000)
		require.Less(t, plannerEvents, 2000)

		// The live run agrees with virtual-time replays of the same trace,
		// graph, profile and planner under the live run's own timing: the
		// comparison, not only completion. The replays keep when each
		// sample was taken and each decision read and applied, and send
		// each request when the live run sent it (replay.LoadTiming); 15 of
		// them have the engine take each request at a random instant
		// between its send and its response headers (Timing.Draw), which
		// the live run does not record. The live run is one draw of that
		// noise, and both cases answer it: 2p2d's average latency moves by
		// about 5% between draws (an overloaded queue's order), and the
		// planner case has more than one trajectory, since its decisions
		// are 10 s means crossing thresholds: every pull 1.5 s late took a
		// replay from 28.1 to 23.3 s, and CI saw a live run at 24.4 s. The
		// live run is held within 5% of the band; a replay on the dot is
		// reported beside it.
		spec, err := results.ReadSpec(dir)
		require.NoError(t, err)
		traces := filepath.Join(res, in.Name, "traces")
		timings, timing := liveTiming(t, dir, traces)
		lat, gpus := replayBand(t, spec, traces, timings)
		dotLat, dotGPUs := replayBand(t, spec, traces, []*replay.Timing{nil})
		t.Logf("case %s: live vs %d replays with its timing (%s): avg latency %.1f vs %.1f..%.1f ms (%+.1f%% vs the one as recorded), avg num_gpu %.3f vs %.3f..%.3f (%+.1f%%); a replay on the dot: %.1f ms, num_gpu %.3f", oc.ID,
			len(timings), timing, sum.AvgRequestLatencyMS, lat[0], lat[1], pct(sum.AvgRequestLatencyMS, lat[2]), sum.AvgNumGPU, gpus[0], gpus[1], pct(sum.AvgNumGPU, gpus[2]),
			dotLat[2], dotGPUs[2])
		// Both cases are reported before either fails the test.
		withinBand(t, oc.ID+": average request latency", sum.AvgRequestLatencyMS, lat)
		withinBand(t, oc.ID+": time-averaged num_gpu", sum.AvgNumGPU, gpus)
	}
	var ids []string
	for _, oc := range out.Cases {
		ids = append(ids, workflows.CaseID(in.Name, oc.ID), workflows.PlannerID(in.Name, oc.ID))
	}
	requireSecretNowhere(t, c, secret, res, append(ids, workflows.MatrixID(in.Name, in.Hash))...)
	if os.Getenv(recordHistoriesEnv) == "1" {
		recordHistories(t, c, in, "planner")
	}
}

func pct(live, replayed float64) float64 { return (live/replayed - 1) * 100 }

// timingShuffles is how many replays draw when the engine took each
// request (replay.Timing.Draw).
const timingShuffles = 15

// replayBand replays a case's trace in virtual time, as `plannerbench
// replay` does with the case's graph, profile, planner and SLO, once with
// each timing (nil: on the dot), and returns the lowest, the highest and
// the first timing's value of the average request latency and of the
// time-averaged num_gpu.
func replayBand(t *testing.T, spec schemas.Case, traces string, timings []*replay.Timing) (latency, numGPU [3]float64) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(traces, "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 1, "the matrix's one trace")
	prof, err := sim.LoadProfile(spec.Backend.Profile)
	require.NoError(t, err)
	graph, err := sim.ForGraph(spec.Backend.Graph, spec.Deployment)
	require.NoError(t, err)
	graph.Model, graph.GPUsPerEngine = spec.Model, max(spec.Planner.PrefillEngineNumGPU, 1)
	for i, timing := range timings {
		res, err := replay.Run(context.Background(), replay.Options{TracePath: files[0], Profile: prof, Graph: graph,
			Planner: spec.Planner, SLO: results.SLOFrom(spec.SLO), Timing: timing})
		require.NoError(t, err)
		l, g := res.Summary.AvgRequestLatencyMS, res.Summary.AvgNumGPU
		if i == 0 {
			latency, numGPU = [3]float64{l, l, l}, [3]float64{g, g, g}
		}
		latency[0], latency[1] = min(latency[0], l), max(latency[1], l)
		numGPU[0], numGPU[1] = min(numGPU[0], g), max(numGPU[1], g)
	}
	return latency, numGPU
}

// liveTiming reads a finished case's timing noise (replay.LoadTiming) and
// returns it with timingShuffles draws of when the engine took each
// request (Timing.Draw), and a summary of it against the nominal instants
// (trace ms, p50/max): sends (dispatch lateness plus the driver's
// re-anchoring offset), pulls (and those not taken), reads and scalings.
func liveTiming(t *testing.T, dir, traces string) ([]*replay.Timing, string) {
	t.Helper()
	tm, err := replay.LoadTiming(context.Background(), dir)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(traces, "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 1, "the matrix's one trace")
	var sends []time.Duration
	i := 0 // the trace index (ForEachTraceRecord passes line numbers)
	require.NoError(t, schemas.ForEachTraceRecord(files[0], func(_ int, r *schemas.TraceRecord) error {
		if i < len(tm.SentAt) && tm.SentAt[i] >= 0 {
			sends = append(sends, tm.SentAt[i]-time.Duration(r.Timestamp)*time.Millisecond)
		}
		i++
		return nil
	}))
	missed := 0
	for _, d := range tm.SampleLate {
		if d < 0 {
			missed++
		}
	}
	desc := fmt.Sprintf("late p50/max: sends %s, pulls %s (%d not taken), reads %s, scalings %s",
		p50max(sends), p50max(tm.SampleLate), missed, p50max(tm.ObserveLate), p50max(tm.ApplyLate))
	timings := []*replay.Timing{tm}
	for seed := uint64(1); seed <= timingShuffles; seed++ {
		timings = append(timings, tm.Draw(seed))
	}
	return timings, desc
}

// p50max formats the median and the largest of the positive durations.
func p50max(ds []time.Duration) string {
	var pos []time.Duration
	for _, d := range ds {
		if d > 0 {
			pos = append(pos, d)
		}
	}
	if len(pos) == 0 {
		return "none"
	}
	slices.Sort(pos)
	return fmt.Sprintf("%.0f/%.0f ms", float64(pos[len(pos)/2])/1e6, float64(pos[len(pos)-1])/1e6)
}

// withinBand requires live within 5% of the band [lo, hi].
func withinBand(t *testing.T, what string, live float64, band [3]float64) {
	t.Helper()
	assert.GreaterOrEqual(t, live, band[0]*0.95, "%s, live %.3f vs replays %.3f..%.3f", what, live, band[0], band[1])
	assert.LessOrEqual(t, live, band[1]*1.05, "%s, live %.3f vs replays %.3f..%.3f", what, live, band[0], band[1])
}
