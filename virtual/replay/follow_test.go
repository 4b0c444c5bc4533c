package replay

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// A replay that follows a run's own decisions is that run: the same
// decisions at the same instants and the same figures, blocking or not.
// Following the decisions of a planner with other thresholds gives that
// planner's scalings, not its own planner's (the check a replay that
// ignored Follow fails).
func TestAReplayFollowingItsOwnDecisionsIsTheSameRun(t *testing.T) {
	for _, blocking := range []bool{true, false} {
		opts := seedCase(t, blocking)
		closed, err := Run(context.Background(), opts)
		require.NoError(t, err)
		opts.Follow = closed.Decisions
		open, err := Run(context.Background(), opts)
		require.NoError(t, err)
		require.Equal(t, len(closed.Decisions), len(open.Decisions))
		for i, d := range closed.Decisions {
			o := open.Decisions[i]
			require.Equal(t, [5]any{d.At, d.Interval, d.DeltaPrefill, d.DeltaDecode, d.BlockedUntil},
				[5]any{o.At, o.Interval, o.DeltaPrefill, o.DeltaDecode, o.BlockedUntil}, "blocking %v, decision %d", blocking, i)
		}
		require.Equal(t, closed.Summary.AvgRequestLatencyMS, open.Summary.AvgRequestLatencyMS)
		require.Equal(t, closed.Summary.AvgNumGPU, open.Summary.AvgNumGPU)

		other := seedCase(t, blocking)
		// the code's defaults (schemas.DefaultPlannerConfig), not the guide's flags
		other.Planner.PrefillQueueScaleUpThreshold, other.Planner.DecodeKVScaleUpThreshold, other.Planner.DecodeKVScaleDownThreshold = 5, 0.9, 0.5
		theirs, err := Run(context.Background(), other)
		require.NoError(t, err)
		opts.Follow = theirs.Decisions
		followed, err := Run(context.Background(), opts)
		require.NoError(t, err)
		require.Equal(t, scalings(theirs.Decisions), scalings(followed.Decisions), "blocking %v", blocking)
		require.NotEqual(t, scalings(closed.Decisions), scalings(followed.Decisions), "blocking %v: the thresholds make another run", blocking)
	}
}

// scalings lists the interval and changes of every decision that changes
// the deployment.
func scalings(ds []schemas.Decision) [][3]int {
	var out [][3]int
	for _, d := range ds {
		if d.Changes() {
			out = append(out, [3]int{d.Interval, d.DeltaPrefill, d.DeltaDecode})
		}
	}
	return out
}
