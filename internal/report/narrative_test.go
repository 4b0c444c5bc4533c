package report

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// rowsOf builds one row a second from per-second prefill queue lengths and
// prefill workers.
func rowsOf(queue []float64, prefill []int32) []schemas.TimelineRow {
	rows := make([]schemas.TimelineRow, len(queue))
	for i := range queue {
		rows[i] = schemas.TimelineRow{TS: float64(i), PrefillQueueSize: queue[i], NumPrefillWorkers: prefill[i], NumDecodeWorkers: 2}
	}
	return rows
}

func TestQueueStoryFromBothSides(t *testing.T) {
	n := 100
	q, p := make([]float64, n), make([]int32, n)
	for i := range p {
		p[i] = 2
	}
	get := func(r schemas.TimelineRow) float64 { return r.PrefillQueueSize }
	require.Equal(t, "prefill queue stayed empty", queueStory("prefill queue", rowsOf(q, p), 99, get))
	q[10] = 0.49 // below the drained threshold: still empty
	require.Equal(t, "prefill queue stayed empty", queueStory("prefill queue", rowsOf(q, p), 99, get))
	q[10] = 3
	require.Equal(t, "the prefill queue peaked at 3.0 at t=10 s and drained", queueStory("prefill queue", rowsOf(q, p), 99, get))
	for i := 60; i < n; i++ { // full from t=60: last drained at 59, 40 s (> 10% and >= 10 s) before the end
		q[i] = 5
	}
	require.Equal(t, "the prefill queue never drained after t=59 s (peak 5.0 at t=60 s)", queueStory("prefill queue", rowsOf(q, p), 99, get))
	for i := 0; i < 91; i++ { // drained at t=90: 9 s before the end is not "never"
		q[i] = 0
	}
	require.Equal(t, "the prefill queue peaked at 5.0 at t=91 s and drained", queueStory("prefill queue", rowsOf(q, p), 99, get))
	for i := range q {
		q[i] = 1
	}
	require.Equal(t, "the prefill queue was never empty (peak 1.0 at t=0 s)", queueStory("prefill queue", rowsOf(q, p), 99, get))
}

func TestScalingStory(t *testing.T) {
	c := Case{ID: "planner", Spec: schemas.Case{Planner: schemas.PlannerConfig{MaxGPUBudget: 8}}}
	q := make([]float64, 5)
	rows := rowsOf(q, []int32{1, 2, 3, 3, 2})
	require.Equal(t, "it kept 2p2d throughout", scalingStory(c, rowsOf(q, []int32{2, 2, 2, 2, 2})))
	rows[1].Decided, rows[1].DeltaPrefill = true, 1
	rows[2].Decided, rows[2].DeltaPrefill = true, 1
	rows[3].Decided, rows[3].Reason = true, "decode kept: mean KV load 0.95 > 0.90 but the GPU budget 8 is used"
	rows[4].Decided, rows[4].DeltaPrefill = true, -1
	require.Equal(t, "the planner changed the deployment 3 times: it ran 1 to 3 prefill workers (3 first at t=2 s) and kept 2 decode workers, limited by the 8-GPU budget from t=3 s",
		scalingStory(c, rows))
}
