package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files")

func handCase(id, mode string, dep schemas.Deployment, lat, ttft50, itl50, gpu, gpuSeconds, tput, good float64, completed, errors int) Case {
	return Case{
		ID: id, Status: "completed",
		Spec: schemas.Case{ID: id, Name: id, Deployment: dep, Planner: schemas.PlannerConfig{Mode: mode}, Repeat: 1},
		Summary: results.Summary{
			Completed: completed, Errors: errors, AvgRequestLatencyMS: lat,
			TTFTMS:    results.Distribution{P50: ttft50, P90: 2 * ttft50, P99: 4 * ttft50},
			ITLMS:     results.Distribution{P50: itl50, P90: 1.5 * itl50, P99: 2 * itl50},
			AvgNumGPU: gpu, GPUSeconds: gpuSeconds, OutputTokenThroughput: tput, Goodput: good,
		},
	}
}

// The seed's figures: planner 1.5x faster with 3.70 vs 4.0 GPUs.
func seedCases() []Case {
	return []Case{
		handCase("planner", schemas.PlannerLoad, schemas.Deployment{Prefill: 1, Decode: 1}, 2000, 100, 20, 3.70, 3.70*600, 1800, 10, 7429, 0),
		handCase("2p2d", schemas.PlannerNoop, schemas.Deployment{Prefill: 2, Decode: 2}, 3000, 300, 25, 4.0, 4.0*600, 1700, 8, 7429, 3),
	}
}

func TestRatios(t *testing.T) {
	cmp, err := Compare("seed", seedCases(), "")
	require.NoError(t, err)
	require.Equal(t, "2p2d", cmp.Baseline, "the noop case is the default baseline")
	rows := cmp.Groups[0].Rows
	require.True(t, rows[1].Baseline)
	require.Nil(t, rows[1].Ratios)
	r := rows[0].Ratios
	require.InDelta(t, 1.5, r.Speedup, 1e-12)
	require.InDelta(t, 3.0, r.TTFTP50Speedup, 1e-12)
	require.InDelta(t, 3.0, r.TTFTP90Speedup, 1e-12)
	require.InDelta(t, 3.0, r.TTFTP99Speedup, 1e-12)
	require.InDelta(t, 1.25, r.ITLP50Speedup, 1e-12)
	require.InDelta(t, 1.25, r.ITLP99Speedup, 1e-12)
	require.InDelta(t, 1800.0/1700, r.ThroughputRatio, 1e-12)
	require.InDelta(t, 1.25, r.GoodputRatio, 1e-12)
	require.InDelta(t, 0.925, r.GPURatio, 1e-12)
	require.InDelta(t, 7.5, r.GPULessPercent, 1e-9)
	require.InDelta(t, 7.5, r.GPUHoursLessPct, 1e-9)
	require.InDelta(t, 1, r.RequestsRatio, 1e-12)
	require.Equal(t, -3, r.ErrorsDifference)
	require.Equal(t, "planner achieves 1.5x speedup while using 7.5% less GPU resources than 2p2d", rows[0].Sentence)
	require.InDelta(t, 3.70*600/3600, rows[0].GPUHours, 1e-12)
}

func TestSentenceDirections(t *testing.T) {
	require.Equal(t, "a is 2.0x slower while using 10.0% more GPU resources than b", Sentence("a", "b", Ratios{Speedup: 0.5, GPURatio: 1.1, GPULessPercent: -10}))
	require.Equal(t, "a has no comparable latency compared with b (no GPU usage to compare)", Sentence("a", "b", Ratios{Speedup: math.NaN(), GPURatio: math.NaN()}))
}

func TestCompareBaselineAndGroups(t *testing.T) {
	cases := seedCases()
	cmp, err := Compare("seed", cases, "planner")
	require.NoError(t, err)
	require.InDelta(t, 1/1.5, cmp.Groups[0].Rows[1].Ratios.Speedup, 1e-12, "the other way round")
	_, err = Compare("seed", cases, "nope")
	require.ErrorContains(t, err, `baseline "nope" is not a case`)
	_, err = Compare("seed", nil, "")
	require.Error(t, err)

	// A failed case is listed but not compared.
	cases = append(cases, Case{ID: "sla", Status: "failed", Error: "boom", Spec: schemas.Case{ID: "sla", Name: "sla", Planner: schemas.PlannerConfig{Mode: "sla"}, Repeat: 1}})
	cmp, err = Compare("seed", cases, "")
	require.NoError(t, err)
	require.Len(t, cmp.Groups[0].Rows, 3)
	require.Nil(t, cmp.Groups[0].Rows[2].Ratios)
	require.Len(t, cmp.Sentences, 1)

	// Rate axes and repeats form separate groups, each with its baseline.
	var axed []Case
	for _, rr := range []float64{10, 20} {
		for _, c := range seedCases() {
			p := schemas.DefaultSynthParams()
			p.RequestRateMax = rr
			p.MarkGiven("request-rate-min")
			c.Spec.Trace.Synth = &p
			c.ID += map[float64]string{10: "_rr5-10", 20: "_rr5-20"}[rr]
			axed = append(axed, c)
		}
	}
	cmp, err = Compare("sweep", axed, "")
	require.NoError(t, err)
	require.Len(t, cmp.Groups, 2)
	require.Equal(t, "rr5-10", cmp.Groups[0].Key)
	require.Equal(t, "2p2d_rr5-10", cmp.Groups[0].Baseline)
	require.Len(t, cmp.Sentences, 2)
}

func TestTableGolden(t *testing.T) {
	cmp, err := Compare("seed", seedCases(), "")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, cmp))
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), buf.String())
}

// An AIPerf run's exports join every group beside the cases: its latency
// compares, its GPU usage is unknown (null in JSON, not "100% less").
func TestAIPerfRunSitsBesideTheCases(t *testing.T) {
	ext, err := LoadAIPerfCase("../aiperf/testdata/aiperf_run")
	require.NoError(t, err)
	require.Equal(t, SourceAIPerf, ext.Source)
	cases := seedCases()
	for i := range cases {
		cases[i].Spec.Trace.Synth = &schemas.SynthParams{RequestRateMin: 5, RequestRateMax: 20}
		cases[i].Spec.Trace.Synth.MarkGiven("request-rate-min")
	}
	cmp, err := Compare("seed", append(cases, ext), "")
	require.NoError(t, err)
	require.Len(t, cmp.Groups, 1)
	rows := cmp.Groups[0].Rows
	require.Len(t, rows, 3)
	r := rows[2]
	require.Equal(t, "aiperf_run", r.ID)
	require.InDelta(t, 3000.0/1500, r.Ratios.Speedup, 1e-12)
	require.True(t, math.IsNaN(r.Ratios.GPURatio))
	require.Equal(t, "aiperf_run achieves 2.0x speedup compared with 2p2d (no GPU usage to compare)", r.Sentence)
	data, err := json.Marshal(cmp)
	require.NoError(t, err)
	require.Contains(t, string(data), `"gpu_ratio":null`)
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, cmp))
	require.Regexp(t, `aiperf_run\s+aiperf`, table.String())
}

// A baseline may be named by the case's name, its id or its folder's
// name (`replay --out m/base` makes a case whose folder is all a user
// knows); a name two cases of one group answer to is an error listing
// both.
func TestBaselineByIDNameOrFolder(t *testing.T) {
	cases := seedCases()
	cases[1].ID, cases[1].Spec.Name, cases[1].Dir = "replay", "", "/r/m/base"
	for _, name := range []string{"replay", "base"} {
		cmp, err := Compare("m", cases, name)
		require.NoError(t, err, name)
		require.True(t, cmp.Groups[0].Rows[1].Baseline, name)
		require.InDelta(t, 1.5, cmp.Groups[0].Rows[0].Ratios.Speedup, 1e-12, name)
	}
	_, err := Compare("m", cases, "nope")
	require.ErrorContains(t, err, `baseline "nope" is not a case of matrix m (its cases: id planner; id replay, folder base)`)

	cases[0].Dir = "/r/m/replay" // the planner case's folder has the other's id
	_, err = Compare("m", cases, "replay")
	require.ErrorContains(t, err, `baseline "replay" is ambiguous in matrix m: it names 2 cases that ran the same trace (id planner, folder replay; id replay, folder base)`)
	cmp, err := Compare("m", cases, "base")
	require.NoError(t, err, "the folder name is unique")
	require.True(t, cmp.Groups[0].Rows[1].Baseline)
}
