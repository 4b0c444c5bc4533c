package planner

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// An added worker is waited for until it is ready, polling every 5 s; a
// removed one until its endpoint is gone and it has drained, polling
// every 1 s; two changes wait one after the other, in order.
func TestBlockingWaitsForEachChangeInTurn(t *testing.T) {
	b := &Blocking{Pending: []Change{{Role: roleDecode, Delta: -1}, {Role: rolePrefill, Delta: +1}}}
	w := schemas.Workers{PrefillReady: 2, DecodeReady: 2}
	step := b.Next(0, w)
	require.Equal(t, &schemas.Target{Prefill: 2, Decode: 1}, step.Apply, "decode -1 first")
	// Draining: the endpoint is gone at once, the process is not.
	w = schemas.Workers{PrefillReady: 2, DecodeReady: 1, DecodeDraining: 1}
	require.Equal(t, BlockStep{Wait: ExitPoll}, b.Next(0, w), "a draining worker is waited for")
	w.DecodeDraining = 0
	step = b.Next(3*time.Second, w)
	require.Equal(t, &schemas.Target{Prefill: 3, Decode: 1}, step.Apply, "then prefill +1, once the decode worker is gone")
	w.PrefillStarting = 1
	require.Equal(t, BlockStep{Wait: EndpointPoll}, b.Next(3*time.Second, w), "one poll short of ready: wait 5 s")
	w.PrefillReady, w.PrefillStarting = 3, 0
	require.Equal(t, BlockStep{Done: true}, b.Next(48*time.Second, w))
	require.Equal(t, []string{"decode -1 gone after 3 s", "prefill +1 ready after 45 s"}, b.Notes)
}

// A removed decode worker whose endpoint is still listed is polled every 5 s.
func TestBlockingRemovalWaitsForTheEndpointFirst(t *testing.T) {
	b := &Blocking{Pending: []Change{{Role: roleDecode, Delta: -1}}}
	b.Next(0, schemas.Workers{PrefillReady: 1, DecodeReady: 2})
	require.Equal(t, BlockStep{Wait: EndpointPoll}, b.Next(0, schemas.Workers{PrefillReady: 1, DecodeReady: 2}))
	require.Equal(t, BlockStep{Done: true}, b.Next(5*time.Second, schemas.Workers{PrefillReady: 1, DecodeReady: 1}))
}

// A failed change is not waited for; a worker that never comes is given
// up after MaxBlock, and not before.
func TestBlockingGivesUpOnlyWhenNothingWillCome(t *testing.T) {
	b := &Blocking{Pending: []Change{{Role: rolePrefill, Delta: +1}, {Role: roleDecode, Delta: +1}}}
	w := schemas.Workers{PrefillReady: 1, DecodeReady: 1}
	b.Next(0, w)
	b.Failed(0, errors.New("no GPU"))
	step := b.Next(0, w)
	require.Equal(t, &schemas.Target{Prefill: 1, Decode: 2}, step.Apply, "the next change at once")
	w.DecodeStarting = 1
	require.Equal(t, BlockStep{Wait: EndpointPoll}, b.Next(MaxBlock, w), "at the bound: still waiting")
	require.Equal(t, BlockStep{Done: true}, b.Next(MaxBlock+time.Second, w), "past it: given up")
	require.Equal(t, []string{"prefill +1 failed: no GPU after 0 s", "decode +1 gave up waiting after 601 s"}, b.Notes)
}

// With blocking scaling Tick applies nothing itself: it hands the
// decided changes, in order, to the driver; without, it scales at once.
func TestTickHandsBlockingChangesToTheDriver(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	w := window(2, 2, []float64{4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, 0.3)
	var asked []schemas.Target
	scale := func(t schemas.Target) (schemas.Workers, error) {
		asked = append(asked, t)
		return schemas.Workers{PrefillReady: 2, DecodeReady: 1, PrefillStarting: 1}, nil
	}
	d, st := Tick(cfg, nil, State{}, 10*time.Second, w, scale)
	require.Empty(t, asked)
	require.NotNil(t, st.Blocking)
	require.Equal(t, []Change{{Role: roleDecode, Delta: -1}, {Role: rolePrefill, Delta: +1}}, st.Blocking.Pending)
	require.Equal(t, 1, d.DeltaPrefill)
	d, st = EndBlocking(st, d, 62*time.Second, schemas.Workers{PrefillReady: 3, DecodeReady: 1})
	require.Equal(t, 52*time.Second, st.Offset, "the next interval starts when the wait ended")
	require.Equal(t, 62*time.Second, d.BlockedUntil)
	require.Nil(t, st.Blocking)

	cfg.BlockingScaling = false
	_, st = Tick(cfg, nil, State{}, 10*time.Second, w, scale)
	require.Len(t, asked, 2)
	require.Nil(t, st.Blocking)
}

// prefill_queue_per_worker (Dynamo from 93702e44) compares the queue mean
// per prefill worker: a mean of 15 on 2 workers is 7.5, under the seed's
// threshold of 10; off (the seed's run), 15 is over it.
func TestPrefillQueuePerWorker(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	cfg.PrefillQueueScaleUpThreshold = 10
	w := window(2, 1, []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 0.5)
	d, _ := Decide(cfg, nil, State{}, w)
	require.Equal(t, 1, d.DeltaPrefill, "raw mean 15 > 10")
	require.InDelta(t, 15, d.Inputs.AvgPrefillQueue, 1e-9)
	cfg.PrefillQueuePerWorker = true
	d, _ = Decide(cfg, nil, State{}, w)
	require.Zero(t, d.DeltaPrefill, "15 / 2 workers = 7.5 < 10")
	require.InDelta(t, 7.5, d.Inputs.AvgPrefillQueue, 1e-9)
}

// A removed worker that still drains is taken as exited when the driver
// says so (a replay at the live run's end of the wait); nothing else is.
func TestBlockingExitedEndsOnlyADrainingRemoval(t *testing.T) {
	b := &Blocking{Pending: []Change{{Role: rolePrefill, Delta: +1}}}
	b.Next(0, schemas.Workers{PrefillReady: 1, DecodeReady: 1})
	require.False(t, b.Exited(5*time.Second), "an add is not a removal")

	b = &Blocking{Pending: []Change{{Role: roleDecode, Delta: -1}}}
	b.Next(0, schemas.Workers{PrefillReady: 1, DecodeReady: 2})
	require.Equal(t, BlockStep{Wait: EndpointPoll}, b.Next(0, schemas.Workers{PrefillReady: 1, DecodeReady: 2}))
	require.False(t, b.Exited(time.Second), "the endpoint is still listed")
	w := schemas.Workers{PrefillReady: 1, DecodeReady: 1, DecodeDraining: 1}
	require.Equal(t, BlockStep{Wait: ExitPoll}, b.Next(5*time.Second, w))
	require.True(t, b.Exited(6*time.Second))
	require.Equal(t, BlockStep{Done: true}, b.Next(6*time.Second, w))
	require.Equal(t, []string{"decode -1 gone after 6 s"}, b.Notes)
}
