package planner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func sampleOf(p, d, ps, ds int) *schemas.Sample {
	return &schemas.Sample{PrefillWorkers: p, DecodeWorkers: d, PrefillStarting: ps, DecodeStarting: ds}
}

func keys(p, d, id, scaled int) schemas.VirtualKeys {
	return schemas.VirtualKeys{Prefill: p, Decode: d, DecisionID: id, ScaledDecisionID: scaled}
}

func TestVirtualStepActsOnNewDecisionsAndAcksWhenReady(t *testing.T) {
	var st VirtualState
	// No decision written yet.
	w, ack, st := VirtualStep(st, schemas.NoVirtualKeys, sampleOf(1, 1, 0, 0))
	require.Nil(t, w.Target)
	require.Equal(t, -1, ack)
	require.Equal(t, "dynamo-virtual: no decision yet", w.Reason)

	// Decision 0: prefill 2 (decode not written: keeps the current 1).
	w, ack, st = VirtualStep(st, keys(2, -1, 0, -1), sampleOf(1, 1, 0, 0))
	require.Equal(t, &schemas.Target{Prefill: 2, Decode: 1}, w.Target)
	require.Equal(t, -1, ack)
	require.True(t, st.Pending)

	// The same decision again: not acted on twice; its worker still starting.
	w, ack, st = VirtualStep(st, keys(2, -1, 0, -1), sampleOf(1, 1, 1, 0))
	require.Nil(t, w.Target)
	require.Equal(t, -1, ack)
	require.Contains(t, w.Reason, "waiting for 2p1d to be ready")

	// Ready: acknowledged.
	_, ack, st = VirtualStep(st, keys(2, -1, 0, -1), sampleOf(2, 1, 0, 0))
	require.Equal(t, 0, ack)
	require.False(t, st.Pending)

	// A decision while one is in flight: 2 replaces 1 before 1's workers
	// are ready; 2 is the one acknowledged.
	_, _, st = VirtualStep(st, keys(3, 2, 1, 0), sampleOf(2, 1, 0, 0))
	w, ack, st = VirtualStep(st, keys(1, 1, 2, 0), sampleOf(2, 1, 1, 1))
	require.Equal(t, &schemas.Target{Prefill: 1, Decode: 1}, w.Target)
	require.Equal(t, -1, ack)
	require.Equal(t, 2, st.PendingID)
	_, ack, _ = VirtualStep(st, keys(1, 1, 2, 0), sampleOf(1, 1, 0, 0))
	require.Equal(t, 2, ack)
}

func TestAckNow(t *testing.T) {
	st := VirtualState{Acted: true, ActedID: 4, Pending: true, PendingID: 4, Target: schemas.Target{Prefill: 9, Decode: 9}}
	require.True(t, AckNow(st, schemas.Decision{}, sampleOf(1, 1, 0, 0)), "refused: nothing will come")
	require.False(t, AckNow(st, schemas.Decision{DeltaPrefill: 8, DeltaDecode: 8, Scaled: true}, sampleOf(1, 1, 0, 0)), "scaled: wait for the workers")
	st.Target = schemas.Target{Prefill: 1, Decode: 1}
	require.True(t, AckNow(st, schemas.Decision{}, sampleOf(1, 1, 0, 0)), "already so and ready")
	require.False(t, AckNow(st, schemas.Decision{}, sampleOf(0, 1, 1, 0)), "already asked for, still starting")
}
