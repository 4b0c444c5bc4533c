package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The expected logits are upstream's expression written out by hand:
// 2 * (overlap * block / isl) - gpu_cache_usage_perc - waiting / max_waiting,
// ai-dynamo/dynamo examples/llm/components/kv_router.py Router._cost_function
// at commit 02e16f75490465f69b38a5f69bcd89f5bf494f35.
func TestKVRouterLogitMatchesUpstream(t *testing.T) {
	for _, c := range []struct {
		overlap, block, isl int
		usage               float64
		waiting, maxWaiting int
		want                float64
	}{
		{0, 64, 3000, 0, 0, 0, 0},                    // idle, no overlap: every logit 0
		{0, 64, 3000, 0.25, 0, 0, -0.25},             // max_waiting 0: the queue term is 0
		{10, 64, 3000, 0, 0, 0, 2 * 640.0 / 3000},    // overlap only
		{47, 64, 3000, 0.5, 3, 6, 2*3008.0/3000 - 1}, // whole prompt cached
		{5, 64, 640, 0.1, 2, 4, 2*0.5 - 0.1 - 0.5},   // half the prompt cached
		{0, 64, 3000, 0.3, 4, 4, -1.3},               // the busiest queue costs 1
		{0, 16, 100, 0, 1, 2, -0.5},                  // another block size
	} {
		t.Run(fmt.Sprintf("%d/%d/%d/%v/%d/%d", c.overlap, c.block, c.isl, c.usage, c.waiting, c.maxWaiting), func(t *testing.T) {
			got := KVRouterLogit(KVRouterScore(c.overlap, c.block, c.isl), c.usage, c.waiting, c.maxWaiting)
			require.InDelta(t, c.want, got, 1e-12)
		})
	}
}

// words of a prompt whose blocks are all distinct from any other prompt's
// unless prefix is shared.
func hashedRequest(prefix string, n, blockSize int, rec Observer) *Request {
	text := ""
	for i := 0; i < n; i++ {
		text += fmt.Sprintf("%s%d ", prefix, i)
	}
	return &Request{PromptTokens: n, MaxTokens: 50, BlockHashes: BlockHashes(text, blockSize), Observer: rec}
}

func TestKVRouterFollowsThePrefix(t *testing.T) {
	e := testEngine(t, 2, 2)
	require.Equal(t, RouterKV, e.Config().Router)
	// The first request lands somewhere; its blocks stay cached there after
	// it finishes.
	var first *decodeWorker
	e.Schedule(0, func() {
		h, err := e.Submit(hashedRequest("a", 3000, 64, nil))
		require.NoError(t, err)
		first = h.s.worker
	})
	e.RunUntilIdle(time.Hour)
	require.NotNil(t, first)
	// The same prompt again goes where its prefix is, with the router's hit
	// estimate 46 blocks * 64 / 3000 passed on.
	for i := 0; i < 5; i++ {
		var h Handle
		e.Schedule(e.Now()+time.Second, func() {
			var err error
			h, err = e.Submit(hashedRequest("a", 3000, 64, nil))
			require.NoError(t, err)
		})
		e.RunUntilIdle(time.Hour)
		require.Same(t, first, h.s.worker)
		require.InDelta(t, 46*64.0/3000, h.s.routerHitRate, 1e-12)
	}
}

func TestKVRouterSpreadsIdleLoadAtRandomAndAvoidsQueues(t *testing.T) {
	e := testEngine(t, 1, 3, func(c *GraphConfig) { c.RouterSeed = 7 })
	seen := map[int]int{}
	for i := 0; i < 60; i++ {
		var h Handle
		e.Schedule(e.Now()+time.Second, func() {
			var err error
			h, err = e.Submit(hashedRequest(fmt.Sprintf("p%d-", i), 200, 64, nil))
			require.NoError(t, err)
		})
		e.RunUntilIdle(time.Hour)
		seen[h.s.worker.id]++
	}
	require.Len(t, seen, 3, "all-zero logits: a random worker each time")
	for id, n := range seen {
		require.Greater(t, n, 8, "worker %d", id)
	}

	// A worker holding KV scores below an idle one.
	e2 := testEngine(t, 1, 2)
	var busy, next Handle
	e2.Schedule(0, func() {
		busy, _ = e2.Submit(hashedRequest("x", 8000, 64, nil))
	})
	e2.Schedule(2*time.Second, func() {
		next, _ = e2.Submit(hashedRequest("y", 100, 64, nil))
	})
	e2.RunUntilIdle(3 * time.Second)
	require.NotSame(t, busy.s.worker, next.s.worker, "the other worker has no KV in use")
}

func TestLeastLoadedRouterStillAvailable(t *testing.T) {
	_, err := NewEngine(testEngine(t, 1, 1).Profile(), func() GraphConfig {
		c := disaggRouterGraph(t)
		c.Router = "nearest"
		return c
	}())
	require.ErrorContains(t, err, `router: must be kv-load, kv or least-loaded, got "nearest"`)
	e := testEngine(t, 1, 2, alwaysRemote)
	var a, b Handle
	e.Schedule(0, func() { a, _ = e.Submit(&Request{PromptTokens: 8000, MaxTokens: 500}) })
	e.Schedule(time.Second, func() { b, _ = e.Submit(&Request{PromptTokens: 100, MaxTokens: 5}) })
	e.RunUntilIdle(2 * time.Second)
	require.NotSame(t, a.s.worker, b.s.worker)
	require.Zero(t, b.s.routerHitRate)
}
