package replay

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/internal/synth/synthtest"
	"plannerbench/internal/tfevents/tfeventstest"
	"plannerbench/schemas"
)

// seedCase is the seed's planner case: its graph, the fitted profile and
// the guide's thresholds.
func seedCase(t *testing.T, blocking bool) Options {
	t.Helper()
	prof, err := sim.LoadProfile("h100-llama8b-seedfit")
	require.NoError(t, err)
	dep := schemas.Deployment{Prefill: 1, Decode: 1}
	g, err := sim.ForGraph(sim.GraphPlannerBenchmark, dep)
	require.NoError(t, err)
	pc := schemas.DefaultPlannerConfig()
	pc.PrefillQueueScaleUpThreshold, pc.PrefillQueueScaleDownThreshold = 10, 0.2
	pc.DecodeKVScaleUpThreshold, pc.DecodeKVScaleDownThreshold = 0.6, 0.3
	pc.BlockingScaling = blocking
	return Options{TracePath: synthtest.SeedTrace(t), Profile: prof, Graph: g, Planner: pc, SLO: results.SLO{TTFTMS: 500, ITLMS: 50}}
}

// A blocking planner decides nothing while a change takes: each decision
// that scaled waits (an add: a whole number of 5 s polls covering the
// 45 s start-up; a removal: until the worker has drained), the next
// decision comes one interval after the wait, and TensorBoard leaves the
// waiting samples out while the timeline keeps and marks them. Without
// blocking every decision is on the 10 s grid (the check a planner that
// does not block fails).
func TestABlockingPlannerWaitsForEachChange(t *testing.T) {
	opts := seedCase(t, true)
	opts.OutDir = t.TempDir()
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	adjust := opts.Planner.AdjustmentInterval.D()
	waits := 0
	for i, d := range res.Decisions {
		if d.Scaled {
			require.GreaterOrEqual(t, d.BlockedUntil, d.At, "decision %d scaled: it blocked (an idle worker's removal takes no time)", i)
			if d.DeltaPrefill == 1 && d.DeltaDecode == 0 {
				require.Equal(t, 45*time.Second, d.BlockedUntil-d.At, "an add waits for its start-up, polled every 5 s")
			}
			if d.BlockedUntil > d.At {
				waits++
			}
		}
		if i > 0 {
			prev := res.Decisions[i-1]
			start := prev.At
			if prev.BlockedUntil > 0 {
				start = prev.BlockedUntil
			}
			require.Equal(t, start+adjust, d.At, "decision %d: one interval after the last one's end", i)
		}
	}
	require.Greater(t, waits, 3)
	waiting := 0
	for _, row := range res.Timeline {
		if row.PlannerWaiting {
			waiting++
		}
	}
	require.Greater(t, waiting, 100)
	files, err := filepath.Glob(filepath.Join(opts.OutDir, casefolder.TensorBoardDir, "events.out.tfevents.*"))
	require.NoError(t, err)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	events, err := tfeventstest.Read(f)
	require.NoError(t, err)
	require.Len(t, events, len(res.Timeline)-waiting+1, "no scalars while the planner waited")

	free, err := Run(context.Background(), seedCase(t, false))
	require.NoError(t, err)
	for i, d := range free.Decisions {
		require.Equal(t, time.Duration(i+1)*adjust, d.At)
		require.Zero(t, d.BlockedUntil)
	}
}

// With a live run's timing, a wait ends when the live one did if the
// change shows by then (a live poll reads after its grid instant: 43 s
// into an add whose worker is ready after the profile's 42.5 s), and
// not before the change shows (40 s: the replay's own poll at 45 s).
func TestAReplayEndsAWaitWhenTheLiveRunDid(t *testing.T) {
	opts := seedCase(t, true)
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	i := slices.IndexFunc(res.Decisions, func(d schemas.Decision) bool { return d.DeltaPrefill == 1 && d.DeltaDecode == 0 })
	require.GreaterOrEqual(t, i, 0, "a prefill add alone")
	first := res.Decisions[i]
	require.Equal(t, 45*time.Second, first.BlockedUntil-first.At)
	for _, c := range []struct{ live, want time.Duration }{{43 * time.Second, 43 * time.Second}, {40 * time.Second, 45 * time.Second}, {50 * time.Second, 50 * time.Second}} {
		opts.Timing = &Timing{BlockedFor: make([]time.Duration, first.Interval)}
		opts.Timing.BlockedFor[first.Interval-1] = c.live
		res, err := Run(context.Background(), opts)
		require.NoError(t, err)
		d := res.Decisions[i]
		require.Equal(t, first.At, d.At)
		require.Equal(t, c.want, d.BlockedUntil-d.At, "live wait %s", c.live)
	}
}

// With a live run's timing, each change of a blocking adjustment is
// applied when the live wait for the one before it ended (a prefill and a
// decode add in one adjustment: the second applied at 43 s, when the live
// run saw the first ready, so ready at 85.5 s and seen at the live 86 s);
// with only the adjustment's end recorded, the second is applied at the
// replay's own poll (45 s) and is not ready by 86 s, so the wait runs on.
func TestAReplayAppliesEachChangeWhenTheLiveRunDid(t *testing.T) {
	opts := seedCase(t, true)
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	i := slices.IndexFunc(res.Decisions, func(d schemas.Decision) bool { return d.DeltaPrefill == 1 && d.DeltaDecode == 1 })
	require.GreaterOrEqual(t, i, 0, "a prefill and a decode add in one adjustment")
	double := res.Decisions[i]
	require.Len(t, double.ChangesEnded, 2)
	require.Equal(t, 45*time.Second, double.ChangesEnded[0]-double.At)
	require.Equal(t, 90*time.Second, double.BlockedUntil-double.At)

	n := double.Interval
	opts.Timing = &Timing{BlockedFor: make([]time.Duration, n), ChangeEnded: make([][]time.Duration, n)}
	opts.Timing.BlockedFor[n-1] = 86 * time.Second
	opts.Timing.ChangeEnded[n-1] = []time.Duration{43 * time.Second, 86 * time.Second}
	res, err = Run(context.Background(), opts)
	require.NoError(t, err)
	d := res.Decisions[i]
	require.Equal(t, double.Interval, d.Interval)
	require.InDelta(t, double.At, d.At, 1, "the same instant (a timed replay decides 1 ns after it)")
	require.Equal(t, []time.Duration{43 * time.Second, 86 * time.Second}, []time.Duration{d.ChangesEnded[0] - d.At, d.BlockedUntil - d.At})

	opts.Timing.ChangeEnded = nil
	res, err = Run(context.Background(), opts)
	require.NoError(t, err)
	d = res.Decisions[i]
	require.Equal(t, 91*time.Second, d.BlockedUntil-d.At, "without the first change's end: applied at 45 s, ready at 87.5 s, not yet at the live end (86 s), seen a poll later")
}
