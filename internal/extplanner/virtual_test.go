package extplanner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/extplanner/dynamotest"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// fakeGraph is a deployment whose new workers take startTicks env ticks to
// become ready; removed ones go at once.
type fakeGraph struct {
	prefill, decode   int
	pStarts, dStarts  []int // ticks left for each starting worker
	startTicks, scale int
}

func (g *fakeGraph) sample() *schemas.Sample {
	return &schemas.Sample{PrefillWorkers: g.prefill, DecodeWorkers: g.decode, PrefillStarting: len(g.pStarts), DecodeStarting: len(g.dStarts)}
}

func (g *fakeGraph) to(t schemas.Target) (schemas.Workers, error) {
	g.scale++
	adjust := func(ready *int, starting *[]int, want int) {
		for *ready+len(*starting) < want {
			*starting = append(*starting, g.startTicks)
		}
		for *ready+len(*starting) > want && len(*starting) > 0 {
			*starting = (*starting)[:len(*starting)-1]
		}
		if *ready > want {
			*ready = want
		}
	}
	adjust(&g.prefill, &g.pStarts, t.Prefill)
	adjust(&g.decode, &g.dStarts, t.Decode)
	return schemas.Workers{PrefillReady: g.prefill, DecodeReady: g.decode}, nil
}

func (g *fakeGraph) tick() {
	step := func(ready *int, starting *[]int) {
		var left []int
		for _, s := range *starting {
			if s <= 1 {
				*ready++
			} else {
				left = append(left, s-1)
			}
		}
		*starting = left
	}
	step(&g.prefill, &g.pStarts)
	step(&g.decode, &g.dStarts)
}

// envTicker plays plannerbench's environment as PlannerWorkflow's
// dynamo-virtual tick does (VirtualStep, TickExternal, AckNow) against the
// fake graph, through VirtualEnv on the real etcd.
type envTicker struct {
	t     *testing.T
	env   *VirtualEnv
	graph *fakeGraph
	vs    planner.VirtualState
	ps    planner.State
	cfg   schemas.PlannerConfig
	last  schemas.Decision
}

func (e *envTicker) tick(ctx context.Context) {
	e.graph.tick()
	last := e.graph.sample()
	keys, err := e.env.Read(ctx)
	require.NoError(e.t, err)
	want, ack, next := planner.VirtualStep(e.vs, keys, last)
	if ack >= 0 {
		require.NoError(e.t, e.env.Complete(ctx, ack))
	}
	d, ps := planner.TickExternal(e.cfg, e.ps, 0, []schemas.Sample{*last}, want, e.graph.to)
	if planner.AckNow(next, d, last) {
		require.NoError(e.t, e.env.Complete(ctx, next.PendingID))
		next.Pending = false
	}
	e.vs, e.ps, e.last = next, ps, d
}

func TestVirtualConnectorAgainstUpstreamPlannerSide(t *testing.T) {
	ctx := context.Background()
	srv, err := StartEtcd(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	plan, err := dynamotest.New(ctx, srv.URL(), "dynamo")
	require.NoError(t, err)
	t.Cleanup(func() { plan.Close() })
	plan.Now, plan.CheckInterval, plan.MaxRetries = now, 10*time.Millisecond, 300
	env, err := DialVirtual(srv.URL(), "dynamo")
	require.NoError(t, err)
	t.Cleanup(func() { env.Close() })
	cfg := schemas.DefaultPlannerConfig()
	cfg.Mode = schemas.PlannerExternal
	e := &envTicker{t: t, env: env, graph: &fakeGraph{prefill: 1, decode: 1, startTicks: 2}, cfg: cfg}
	intp := func(n int) *int { return &n }
	scaledID := func() int {
		k, err := env.Read(ctx)
		require.NoError(t, err)
		return k.ScaledDecisionID
	}

	// Nothing decided: the environment waits, acknowledges nothing.
	e.tick(ctx)
	require.Equal(t, -1, scaledID())
	require.Contains(t, e.last.Reason, "no decision yet")

	t.Run("scale up", func(t *testing.T) {
		require.True(t, update(ctx, plan, intp(2), nil)) // decision 0: prefill 2
		e.tick(ctx)
		require.Equal(t, 1, e.graph.scale, "the deployment was asked once")
		require.Equal(t, 1, e.last.DeltaPrefill)
		require.Contains(t, e.last.Reason, "external: dynamo-virtual decision 0: 2p1d")
		require.Equal(t, -1, scaledID(), "not acknowledged while the worker starts")
		e.tick(ctx) // starting: 1 tick left
		require.Equal(t, -1, scaledID())
		e.tick(ctx) // ready
		require.Equal(t, 0, scaledID())
		require.True(t, plan.WaitForCompletion(ctx))
	})
	t.Run("scale down", func(t *testing.T) {
		require.True(t, update(ctx, plan, intp(1), intp(1))) // decision 1: 1p1d
		e.tick(ctx)
		require.Equal(t, -1, e.last.DeltaPrefill)
		e.tick(ctx)
		require.Equal(t, 1, scaledID())
		require.True(t, plan.WaitForCompletion(ctx))
		require.False(t, update(ctx, plan, intp(1), intp(1)), "no change: the planner writes nothing")
	})
	t.Run("a decision while the previous one is in flight", func(t *testing.T) {
		require.True(t, update(ctx, plan, intp(3), nil)) // decision 2; the environment is busy elsewhere
		require.False(t, update(ctx, plan, intp(4), nil), "not ready: the planner skips")
		clock = clock.Add(1799 * time.Second)
		require.False(t, update(ctx, plan, intp(4), nil), "still within max_wait_time")
		clock = clock.Add(2 * time.Second)
		require.True(t, update(ctx, plan, intp(4), nil), "after max_wait_time it goes ahead: decision 3")
		e.tick(ctx) // sees decision 3 only, asks for 4p1d
		require.Contains(t, e.last.Reason, "decision 3: 4p1d")
		require.Equal(t, 3, e.last.DeltaPrefill)
		e.tick(ctx)
		e.tick(ctx)
		require.Equal(t, 3, scaledID(), "the newest decision is acknowledged")
		require.True(t, plan.WaitForCompletion(ctx))
	})
	t.Run("over the budget: refused and acknowledged at once", func(t *testing.T) {
		require.True(t, update(ctx, plan, intp(8), intp(2))) // decision 4: 10 GPUs > 8
		e.tick(ctx)
		require.Contains(t, e.last.Reason, "refused: 8p2d needs 10 GPUs, over the budget of 8")
		require.Equal(t, 4, scaledID(), "the planner is not left waiting 30 minutes")
	})
	t.Run("the planner going away", func(t *testing.T) {
		require.True(t, update(ctx, plan, intp(2), intp(1))) // decision 5
		require.NoError(t, plan.Close())                     // the planner's process ends
		for range 3 {
			e.tick(ctx)
		}
		require.Equal(t, 5, scaledID(), "its last decision is still carried out and acknowledged")
		before := e.graph.scale
		for range 3 {
			e.tick(ctx)
		}
		require.Equal(t, before, e.graph.scale, "and nothing else changes")
		require.Contains(t, e.last.Reason, "no new decision (last 5)")
	})
}

// update is plan.Update with its error dropped (etcd is local and up).
func update(ctx context.Context, plan *dynamotest.Coordinator, prefill, decode *int) bool {
	wrote, err := plan.Update(ctx, prefill, decode)
	if err != nil {
		panic(err)
	}
	return wrote
}
