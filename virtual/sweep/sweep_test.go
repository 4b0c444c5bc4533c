package sweep

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/results"
	"plannerbench/internal/synth/synthtest"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

func TestScaledTraceMultipliesTheRate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	f, err := os.Create(in)
	require.NoError(t, err)
	w := schemas.NewTraceWriter(f)
	for _, ts := range []int64{0, 1000, 2000, 3001} {
		require.NoError(t, w.Write(&schemas.TraceRecord{Timestamp: ts, InputLength: 10, OutputLength: 2, HashIDs: []int64{1}}))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	out, err := scaledTrace(in, 2, filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	var got []int64
	require.NoError(t, schemas.ForEachTraceRecord(out, func(_ int64, r *schemas.TraceRecord) error {
		got = append(got, r.Timestamp)
		return nil
	}))
	require.Equal(t, []int64{0, 500, 1000, 1500}, got, "twice the rate: arrivals at half the time (3001/2 truncated, as the trace's integer ms)")
	_, err = scaledTrace(in, 0, filepath.Join(dir, "bad.jsonl"))
	require.Error(t, err)
}

// Each cell is the two replays it stands for: checked against replays run
// here directly on a trace scaled here.
func TestSweepCellsAreTheirReplays(t *testing.T) {
	trace := synthtest.SeedTrace(t)
	pc := schemas.DefaultPlannerConfig()
	res, err := Run(context.Background(), Options{TracePath: trace, Scales: []float64{1, 1.5}, YAxis: AxisProfile,
		YValues: []string{schemas.DefaultProfile, "h100-llama8b-2026"}, Baseline: schemas.Deployment{Prefill: 2, Decode: 2},
		Start: schemas.Deployment{Prefill: 1, Decode: 1}, Planner: pc})
	require.NoError(t, err)
	require.Equal(t, 8, res.Replays, "2 scales x 2 profiles x (planner + baseline)")
	require.Equal(t, 0, res.MarkX)
	require.Equal(t, 0, res.MarkY, "the seed's point: 1x, the default profile")
	require.Len(t, res.Cells, 2)

	// The 2026 profile at 1.5x, by hand.
	dir := t.TempDir()
	scaled := filepath.Join(dir, "x1.5.jsonl")
	f, err := os.Create(scaled)
	require.NoError(t, err)
	w := schemas.NewTraceWriter(f)
	require.NoError(t, schemas.ForEachTraceRecord(trace, func(_ int64, r *schemas.TraceRecord) error {
		r.Timestamp = int64(float64(r.Timestamp) / 1.5)
		return w.Write(r)
	}))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	prof, err := sim.LoadProfile("h100-llama8b-2026")
	require.NoError(t, err)
	run := func(dep schemas.Deployment, mode string) results.Summary {
		c := pc
		c.Mode = mode
		r, err := replay.Run(context.Background(), replay.Options{TracePath: scaled, Profile: prof, Graph: sim.ForDeployment(dep), Planner: c})
		require.NoError(t, err)
		return r.Summary
	}
	planner, base := run(schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad), run(schemas.Deployment{Prefill: 2, Decode: 2}, schemas.PlannerNoop)
	cell := res.Cells[1][1]
	require.Equal(t, 1.5, cell.Scale)
	require.Equal(t, "h100-llama8b-2026", cell.Y)
	require.Equal(t, planner.AvgRequestLatencyMS, cell.PlannerLatencyMS)
	require.Equal(t, base.AvgRequestLatencyMS, cell.BaselineLatencyMS)
	require.InDelta(t, base.AvgRequestLatencyMS/planner.AvgRequestLatencyMS, cell.Speedup, 1e-12)
	require.InDelta(t, 1-planner.AvgNumGPU/base.AvgNumGPU, cell.GPUSaving, 1e-12)
}

func TestSweepBaselineAxisSharesThePlannerRuns(t *testing.T) {
	res, err := Run(context.Background(), Options{TracePath: synthtest.SeedTrace(t), Scales: []float64{0.5, 1}, YAxis: AxisBaseline,
		YValues: []string{"1p1d", "2p2d", "3p3d"}, Profile: schemas.DefaultProfile, Start: schemas.Deployment{Prefill: 1, Decode: 1},
		Planner: schemas.DefaultPlannerConfig()})
	require.NoError(t, err)
	require.Equal(t, 2+2*3, res.Replays, "one planner run a scale, one baseline a cell")
	require.Equal(t, res.Cells[0][1].PlannerLatencyMS, res.Cells[2][1].PlannerLatencyMS)
	require.Equal(t, 1, res.MarkX)
	require.Equal(t, 1, res.MarkY, "the seed's point: 1x against 2p2d")
	_, err = Run(context.Background(), Options{TracePath: "x", Scales: []float64{1}, YAxis: "nope", YValues: []string{"a"}})
	require.ErrorContains(t, err, "y axis")
}

// BenchmarkSeedGrid is the 6x6 grid of the seed trace (load scale x
// baseline deployment): 42 replays.
func BenchmarkSeedGrid(b *testing.B) {
	trace := synthtest.SeedTrace(b)
	for b.Loop() {
		res, err := Run(context.Background(), Options{TracePath: trace, Scales: []float64{0.5, 0.75, 1, 1.25, 1.5, 2}, YAxis: AxisBaseline,
			YValues: []string{"1p1d", "2p2d", "3p3d", "2p4d", "4p2d", "4p4d"}, Profile: schemas.DefaultProfile,
			Start: schemas.Deployment{Prefill: 1, Decode: 1}, Planner: schemas.DefaultPlannerConfig()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Replays), "replays/op")
	}
}
