package simserver

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
)

// testEngine is an engine of the disagg_router graph at prefill/decode
// workers on the h100-llama8b profile, changed by mutate.
func testEngine(t testing.TB, prefill, decode int, mutate ...func(*sim.GraphConfig)) *sim.Engine {
	t.Helper()
	prof, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	cfg := disaggRouterGraph(t)
	cfg.PrefillWorkers, cfg.DecodeWorkers = prefill, decode
	for _, m := range mutate {
		m(&cfg)
	}
	e, err := sim.NewEngine(prof, cfg)
	require.NoError(t, err)
	return e
}

// disaggRouterGraph is the disagg_router graph the server tests were
// written on.
func disaggRouterGraph(t testing.TB) sim.GraphConfig {
	t.Helper()
	c, err := sim.LoadGraphConfig(sim.GraphDisaggRouter + "_1p1d")
	require.NoError(t, err)
	return *c
}

// alwaysRemote prefills every prompt on a prefill worker.
func alwaysRemote(c *sim.GraphConfig) {
	c.ConditionalDisagg, c.PrefixCaching, c.Router = false, false, sim.RouterLeastLoaded
}
