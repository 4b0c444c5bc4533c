package planner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// Follow applies a recorded decision's changes as the load planner
// would (removals first, prefill before decode; blocking: handed to the
// driver in that order), whatever the interval's samples say; a zero
// record changes nothing, and a noop case asks for no scaling.
func TestFollowAppliesTheRecordedChangesInThePlannersOrder(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	w := window(2, 2, flat(0, 10), 0.5) // inside every threshold: the planner itself would do nothing
	rec := schemas.Decision{Interval: 7, DeltaPrefill: +1, DeltaDecode: -1, Reason: "live"}

	cfg.BlockingScaling = false
	var asked []schemas.Target
	scale := func(t schemas.Target) (schemas.Workers, error) {
		asked = append(asked, t)
		return schemas.Workers{PrefillReady: 2, DecodeReady: 2}, nil
	}
	d, st := Follow(cfg, State{}, 0, w, rec, scale)
	require.Equal(t, []schemas.Target{{Prefill: 2, Decode: 1}, {Prefill: 3, Decode: 1}}, asked, "decode -1 first, then prefill +1")
	require.Equal(t, [4]int{1, -1, 3, 1}, [4]int{d.DeltaPrefill, d.DeltaDecode, d.Prefill, d.Decode})
	require.True(t, d.Scaled)
	require.Equal(t, 1, st.Intervals)
	require.Contains(t, d.Reason, "recorded interval 7: live")

	cfg.BlockingScaling = true
	asked = nil
	_, st = Follow(cfg, State{}, 0, w, rec, scale)
	require.Empty(t, asked, "blocking: the driver applies them")
	require.Equal(t, []Change{{Role: roleDecode, Delta: -1}, {Role: rolePrefill, Delta: +1}}, st.Blocking.Pending)

	d, st = Follow(cfg, State{}, 0, w, schemas.Decision{}, scale)
	require.False(t, d.Changes())
	require.Nil(t, st.Blocking)
	require.Empty(t, asked)

	noop := schemas.DefaultPlannerConfig()
	noop.Mode = schemas.PlannerNoop
	d, _ = Follow(noop, State{}, 0, w, schemas.Decision{Interval: 1}, scale)
	require.False(t, d.Changes())
	require.Empty(t, asked)
}
