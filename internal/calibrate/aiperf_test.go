package calibrate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/synth"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// A folder holding only AIPerf's per-request export is calibrated from
// the requests that met an idle pipeline, against whole prompts, with the
// base profile's decode step kept, and says so; at a light load the
// prefill still comes within 5% of the truth.
func TestCalibrateAnAIPerfExport(t *testing.T) {
	p := schemas.DefaultSynthParams()
	p.Seed, p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 9, 300, 0.5, 2, 150
	p.ISL1, p.OSL1, p.ISL2, p.OSL2 = 1000, 100, 4000, 100
	trace := filepath.Join(t.TempDir(), "light.jsonl")
	_, err := synth.WriteFile(context.Background(), p, trace, synth.Options{})
	require.NoError(t, err)
	truth, err := sim.LoadProfile("h100-llama8b-seedfit")
	require.NoError(t, err)
	base, err := sim.LoadProfile("h100-llama8b-profiled")
	require.NoError(t, err)
	graph, err := sim.ForGraph(sim.GraphPlannerBenchmark, schemas.Deployment{Prefill: 1, Decode: 1})
	require.NoError(t, err)
	noop := schemas.DefaultPlannerConfig()
	noop.Mode = schemas.PlannerNoop
	run := filepath.Join(t.TempDir(), "run")
	_, err = replay.Run(context.Background(), replay.Options{TracePath: trace, Profile: truth, Graph: graph, Planner: noop, OutDir: run})
	require.NoError(t, err)

	export := t.TempDir() // only what AIPerf writes
	for _, f := range []string{aiperf.RecordsFile, aiperf.SummaryJSONFile} {
		data, err := os.ReadFile(filepath.Join(run, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(export, f), data, 0o644))
	}
	cal, err := FromRun(context.Background(), export, base)
	require.NoError(t, err)
	require.Equal(t, RuleIdle, cal.QueueRule)
	require.Equal(t, ShapeBase, cal.Decode.Shape)
	require.Equal(t, base.DecodeStepMS, cal.Profile.DecodeStepMS)
	require.Contains(t, cal.Notes[0], "read AIPerf's profile_export.jsonl")
	require.Empty(t, cal.Undetermined)
	for _, isl := range []float64{1000, 4000} {
		require.InEpsilon(t, truth.PrefillMS.At(isl), cal.Profile.PrefillMS.At(isl), 0.05, "prefill_ms(%.0f)", isl)
	}

	_, err = FromRun(context.Background(), t.TempDir(), base)
	require.ErrorContains(t, err, "not a run folder")
}
