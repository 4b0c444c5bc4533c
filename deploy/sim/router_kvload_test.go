package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// seedGraph is the seed's planner_benchmark graph with p prefill and d
// decode workers.
func seedGraph(t testing.TB, p, d int) GraphConfig {
	t.Helper()
	c, err := ForGraph(GraphPlannerBenchmark, schemas.Deployment{Prefill: p, Decode: d})
	require.NoError(t, err)
	return c
}

// routeAt submits a 3000-token request at the given instants and returns
// the decode worker each one went to.
func routeAt(t *testing.T, cfg GraphConfig, at ...time.Duration) []int {
	t.Helper()
	prof, err := LoadProfile("h100-llama8b-profiled")
	require.NoError(t, err)
	e, err := NewEngine(prof, cfg)
	require.NoError(t, err)
	workers := make([]int, len(at))
	for i, a := range at {
		e.Schedule(a, func() {
			h, err := e.Submit(&Request{PromptTokens: 3000, MaxTokens: 150})
			require.NoError(t, err)
			workers[i] = h.s.worker.id
		})
	}
	e.RunUntilIdle(time.Minute)
	return workers
}

// kv-load sends a request to the decode worker with the lowest cache usage
// in its snapshot: requests within one snapshot (0.4 s) all go to the
// same worker, though its usage has grown; the first request after the
// snapshot is retaken goes to the other one.
func TestKVLoadRoutesOnASnapshotOfCacheUsage(t *testing.T) {
	cfg := seedGraph(t, 1, 2)
	at := []time.Duration{time.Second, 1100 * time.Millisecond, 1200 * time.Millisecond, 1399 * time.Millisecond, 1401 * time.Millisecond}
	got := routeAt(t, cfg, at...)
	for i := 1; i < 4; i++ {
		require.Equal(t, got[0], got[i], "request %d is inside the first snapshot", i)
	}
	require.NotEqual(t, got[0], got[4], "the retaken snapshot shows the first worker's KV in use")

	// The same requests with a snapshot retaken for every request: the
	// second request already sees the first's KV (the check above would
	// fail on a router that reads the workers live).
	zero := schemas.Duration(0)
	cfg.KVLoadRefresh = &zero
	live := routeAt(t, cfg, at...)
	require.NotEqual(t, live[0], live[1])
}

// The seed's graph: every prefill remote, no prefix caching, kv-load.
func TestSeedGraphPrefillsEveryPromptRemotely(t *testing.T) {
	cfg := seedGraph(t, 1, 1)
	require.False(t, cfg.ConditionalDisagg)
	require.False(t, cfg.PrefixCaching)
	require.Equal(t, RouterKVLoad, cfg.Router)
	require.False(t, cfg.PrefillWorkerBatching)
	prof, err := LoadProfile("h100-llama8b-profiled")
	require.NoError(t, err)
	e, err := NewEngine(prof, cfg)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		submitAt(t, e, time.Second, 8, 5) // 8 tokens: disagg_router prefills these locally (<= 10)
	}
	var queued int
	e.Schedule(time.Second+time.Microsecond, func() { queued = e.Snapshot().PrefillQueue })
	e.RunUntilIdle(time.Minute)
	require.Equal(t, 2, queued, "one job running (acknowledged, not counted), two queued")
	require.Equal(t, 3, e.prefill[0].jobs, "every prompt prefilled on the prefill worker")
}
