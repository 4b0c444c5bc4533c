package replay

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/internal/synth/synthtest"
	"plannerbench/internal/tfevents/tfeventstest"
	"plannerbench/schemas"
)

func options(t testing.TB, profile string, dep schemas.Deployment, mode string) Options {
	prof, err := sim.LoadProfile(profile)
	require.NoError(t, err)
	pc := schemas.DefaultPlannerConfig()
	pc.Mode = mode
	// These tests were written for a planner that scales without waiting
	// on the disagg_router graph; blocking has tests of its own.
	pc.BlockingScaling = false
	graph, err := sim.ForGraph(sim.GraphDisaggRouter, dep)
	require.NoError(t, err)
	return Options{TracePath: synthtest.SeedTrace(t), Profile: prof, Graph: graph, Planner: pc, SLO: results.SLO{TTFTMS: 500, ITLMS: 50}}
}

func TestReplayWritesARealRunsFiles(t *testing.T) {
	opts := options(t, "h100-llama8b-2026", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad)
	// Every prompt through the prefill queue, so the load planner scales
	// prefill too.
	g, err := sim.ForGraph(sim.GraphAlwaysRemote, schemas.Deployment{Prefill: 1, Decode: 1})
	require.NoError(t, err)
	opts.Graph = g
	opts.OutDir = t.TempDir()
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	s := res.Summary
	require.Equal(t, s.Requests, s.Completed)
	require.InDelta(t, 7500, s.Requests, 450)
	require.Greater(t, s.AvgNumGPU, 2.0)
	require.LessOrEqual(t, s.AvgNumGPU, 8.0)
	require.GreaterOrEqual(t, s.AvgGPUsHeld, s.AvgNumGPU, "starting workers hold GPUs before they serve")
	require.Len(t, res.Decisions, len(res.Timeline)/10)

	recs, err := casefolder.ReadRequests(context.Background(), opts.OutDir)
	require.NoError(t, err)
	require.Len(t, recs, s.Requests)
	again := results.Summarize(recs, 1, opts.SLO)
	require.InDelta(t, s.AvgRequestLatencyMS, again.AvgRequestLatencyMS, 1e-6, "the Parquet files hold what the summary says")

	tl, err := results.ReadTimeline(context.Background(), casefolder.TimelinePath(opts.OutDir))
	require.NoError(t, err)
	require.Equal(t, len(res.Timeline), len(tl))
	decided, scaled := 0, 0
	maxPrefill := int32(0)
	for _, row := range tl {
		if row.Decided {
			decided++
			if row.DeltaPrefill != 0 || row.DeltaDecode != 0 {
				scaled++
			}
			require.NotEmpty(t, row.Reason)
			require.NotEmpty(t, row.Inputs)
		}
		maxPrefill = max(maxPrefill, row.NumPrefillWorkers)
	}
	require.Equal(t, len(res.Decisions), decided)
	require.Greater(t, scaled, 0, "the load planner reacts to the sinusoid")
	require.Greater(t, maxPrefill, int32(1))

	// Modelled GPU telemetry: every sample's power between the profile's
	// idle and busy watts, the energy their integral.
	require.NotNil(t, s.Energy)
	require.Equal(t, "modelled", s.Energy.Source)
	require.Greater(t, s.Energy.PerOutputTokenJ, 0.0)
	prof := opts.Profile
	powered := 0
	for _, g := range res.GPU {
		if g.PowerW > 0 {
			powered++
			require.GreaterOrEqual(t, g.PowerW, prof.GPUIdleWatts-1e-6)
			require.LessOrEqual(t, g.PowerW, prof.GPUBusyWatts+1e-6)
		}
	}
	require.Greater(t, powered, len(res.Timeline))
	gpus, err := results.ReadGPU(context.Background(), casefolder.GPUPath(opts.OutDir))
	require.NoError(t, err)
	require.Len(t, gpus, len(res.GPU))

	var onDisk results.Summary
	data, err := os.ReadFile(filepath.Join(opts.OutDir, casefolder.SummaryFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &onDisk))
	require.Equal(t, s.Completed, onDisk.Completed)

	files, err := filepath.Glob(filepath.Join(opts.OutDir, casefolder.TensorBoardDir, "events.out.tfevents.*"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	events, err := tfeventstest.Read(f)
	require.NoError(t, err, "framing and CRCs check out")
	require.Equal(t, "brain.Event:2", events[0].Version)
	require.Len(t, events, len(tl)+1)
	// The seed's six scalar names (its TensorBoard panels), and its text's
	// num_queued_request beside the code's total_queued_requests.
	seed := []string{"average_kv_load", "prefill_queue_size", "total_queued_requests", "num_queued_request",
		"num_prefill_workers", "num_decode_workers", "num_gpu"}
	require.ElementsMatch(t, seed, results.TensorBoardTags())
	for _, tag := range seed {
		require.Contains(t, events[1].Values, tag)
	}
	last := events[len(events)-1]
	require.Equal(t, float32(tl[len(tl)-1].NumGPU), last.Values["num_gpu"])
	require.Equal(t, last.Values["total_queued_requests"], last.Values["num_queued_request"])
	require.Equal(t, int64(tl[len(tl)-1].TS), last.Step)
}

func TestReplayIsDeterministic(t *testing.T) {
	a, err := Run(context.Background(), options(t, "h100-llama8b", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad))
	require.NoError(t, err)
	b, err := Run(context.Background(), options(t, "h100-llama8b", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad))
	require.NoError(t, err)
	require.Equal(t, a.Summary, b.Summary)
	require.Equal(t, a.Decisions, b.Decisions)
}

func TestNoopNeverScales(t *testing.T) {
	res, err := Run(context.Background(), options(t, "h100-llama8b-2026", schemas.Deployment{Prefill: 2, Decode: 2}, schemas.PlannerNoop))
	require.NoError(t, err)
	require.Equal(t, 4.0, res.Summary.AvgNumGPU)
	for _, d := range res.Decisions {
		require.False(t, d.Changes())
	}
}

func TestReplayStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, options(t, "h100-llama8b", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad))
	require.ErrorIs(t, err, context.Canceled)
}

func TestReplayReportsBadTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 5}\n{\"timestamp\": 1}\n"), 0o644))
	opts := options(t, "h100-llama8b", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad)
	opts.TracePath = path
	_, err := Run(context.Background(), opts)
	require.ErrorContains(t, err, path+":2: input_length: missing")
}

// BenchmarkReplaySeed replays the seed experiment's case under each
// planner; one op is one 600 s case.
func BenchmarkReplaySeed(b *testing.B) {
	for _, c := range []struct {
		name string
		dep  schemas.Deployment
		mode string
	}{{"planner-1p1d", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad}, {"noop-2p2d", schemas.Deployment{Prefill: 2, Decode: 2}, schemas.PlannerNoop}} {
		for _, profile := range []string{"h100-llama8b", "h100-llama8b-2026"} {
			b.Run(c.name+"/"+profile, func(b *testing.B) {
				opts := options(b, profile, c.dep, c.mode)
				for b.Loop() {
					if _, err := Run(context.Background(), opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/case")
			})
		}
	}
}

func TestSeedPullsEverySecond(t *testing.T) {
	res, err := Run(context.Background(), options(t, "h100-llama8b-2026", schemas.Deployment{Prefill: 2, Decode: 2}, schemas.PlannerNoop))
	require.NoError(t, err)
	for i, row := range res.Timeline {
		require.InDelta(t, float64(i+1), row.TS, 1e-9)
	}
	require.GreaterOrEqual(t, res.Timeline[len(res.Timeline)-1].TS, 600.0)
}
