package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func testEngine(t testing.TB, prefill, decode int, mutate ...func(*GraphConfig)) *Engine {
	t.Helper()
	prof, err := LoadProfile("h100-llama8b")
	require.NoError(t, err)
	cfg := disaggRouterGraph(t)
	cfg.PrefillWorkers, cfg.DecodeWorkers = prefill, decode
	for _, m := range mutate {
		m(&cfg)
	}
	e, err := NewEngine(prof, cfg)
	require.NoError(t, err)
	return e
}

// disaggRouterGraph is the disagg_router graph (KV router, conditional
// disaggregation, prefix caching) the engine tests were written on.
func disaggRouterGraph(t testing.TB) GraphConfig {
	t.Helper()
	c, err := LoadGraphConfig(GraphDisaggRouter + "_1p1d")
	require.NoError(t, err)
	return *c
}

// alwaysRemote is the always_remote variant: every prompt prefilled on a
// prefill worker, so queue mechanics show.
func alwaysRemote(c *GraphConfig) {
	c.ConditionalDisagg, c.PrefixCaching, c.Router = false, false, RouterLeastLoaded
}

// recorder keeps a request's token times.
type recorder struct {
	tokens []time.Duration
	done   time.Duration
	reason FinishReason
}

func (r *recorder) Token(now time.Duration, n int) {
	if n != len(r.tokens)+1 {
		panic(fmt.Sprintf("token %d after %d", n, len(r.tokens)))
	}
	r.tokens = append(r.tokens, now)
}
func (r *recorder) Done(now time.Duration, reason FinishReason) { r.done, r.reason = now, reason }

func submitAt(t testing.TB, e *Engine, at time.Duration, prompt, out int) *recorder {
	rec := &recorder{}
	e.Schedule(at, func() {
		_, err := e.Submit(&Request{PromptTokens: prompt, MaxTokens: out, Observer: rec})
		require.NoError(t, err)
	})
	return rec
}

func TestIdleTTFTIsPrefillPlusTransferPlusOneStep(t *testing.T) {
	e := testEngine(t, 1, 1)
	prof := e.Profile()
	rec := submitAt(t, e, time.Second, 3000, 150)
	e.RunUntilIdle(time.Hour)
	require.Equal(t, FinishLength, rec.reason)
	require.Len(t, rec.tokens, 150)

	blocks := ceilDiv(3001, 64) // the prompt plus the slot of the first token
	util := float64(blocks) / float64(prof.KVCapacityTokens()/64)
	want := prof.PrefillTime(3000) + prof.TransferTime(3000) + prof.DecodeStepTime(util)
	require.InDelta(t, 259.75, float64(prof.PrefillTime(3000))/1e6, 0.001, "prefill_ms(3000) = 11.25 + 222.3 + 26.2")
	require.InDelta(t, 6.144, float64(prof.TransferTime(3000))/1e6, 0.001, "3000 · 128 KiB / 64 GB/s")
	ttft := rec.tokens[0] - time.Second
	require.InDelta(t, float64(want), float64(ttft), float64(time.Millisecond))
	require.InDelta(t, 285.7, float64(ttft)/1e6, 0.5)
}

func TestITLIsTheDecodeStepOfCurrentUtilisation(t *testing.T) {
	e := testEngine(t, 1, 1)
	prof := e.Profile()
	rec := submitAt(t, e, 0, 3000, 200)
	e.RunUntilIdle(time.Hour)
	total := prof.KVCapacityTokens() / 64
	for i := 1; i < len(rec.tokens); i++ {
		// the step that produced token i+1 held blocks for context 3000+i+1
		util := float64(ceilDiv(3000+i+1, 64)) / float64(total)
		require.Equal(t, prof.DecodeStepTime(util), rec.tokens[i]-rec.tokens[i-1], "token %d", i+1)
	}
	require.Equal(t, rec.tokens[len(rec.tokens)-1], rec.done)
}

func TestBatchSharesSteps(t *testing.T) {
	e := testEngine(t, 1, 1)
	a := submitAt(t, e, 0, 100, 50)
	b := submitAt(t, e, 0, 100, 50)
	e.RunUntilIdle(time.Hour)
	// b's prefill queues behind a's, then both decode in the same steps.
	require.Greater(t, b.tokens[0], a.tokens[0])
	shared := 0
	for _, ta := range a.tokens {
		for _, tb := range b.tokens {
			if ta == tb {
				shared++
			}
		}
	}
	require.Greater(t, shared, 40, "continuous batching emits both sequences' tokens at the same step ends")
}

func TestQueueBuildsAndDrains(t *testing.T) {
	e := testEngine(t, 1, 2, alwaysRemote)
	// 3000-token prefills take 260 ms: one prefill worker serves < 4 req/s.
	for i := 0; i < 80; i++ {
		submitAt(t, e, time.Duration(i)*100*time.Millisecond, 3000, 20) // 10 req/s for 8 s
	}
	var peak int
	var samples []int
	for s := 0; s <= 40; s++ {
		at := time.Duration(s) * time.Second
		e.Schedule(at, func() {
			q := e.Snapshot().PrefillQueue
			samples = append(samples, q)
			peak = max(peak, q)
		})
	}
	e.RunUntilIdle(time.Hour)
	require.Greater(t, peak, 40, "arrivals exceed prefill capacity: the queue grows")
	require.Equal(t, 0, samples[len(samples)-1], "and drains once arrivals stop")
	require.Equal(t, int64(80), e.Snapshot().Counters.Finished)
}

func TestScaleUpServesOnlyAfterStartupDelay(t *testing.T) {
	e := testEngine(t, 1, 1, alwaysRemote)
	require.Equal(t, 45*time.Second, e.StartupDelay())
	e.Schedule(10*time.Second, func() { require.NoError(t, e.Scale(2, 2)) })
	var at20, at56 Snapshot
	e.Schedule(20*time.Second, func() { at20 = e.Snapshot() })
	e.Schedule(56*time.Second, func() { at56 = e.Snapshot() })
	// Enough load that a second prefill worker would be used at once.
	for i := 0; i < 400; i++ {
		submitAt(t, e, 10*time.Second+time.Duration(i)*100*time.Millisecond, 3000, 10)
	}
	var busyBefore, busyAfter int
	e.Schedule(54*time.Second, func() { busyBefore = countBusy(e) })
	e.Schedule(56*time.Second, func() { busyAfter = countBusy(e) })
	e.RunUntilIdle(time.Hour)
	require.Equal(t, 1, at20.Count(RolePrefill, WorkerStarting))
	require.Equal(t, 1, at20.Count(RoleDecode, WorkerStarting))
	require.Equal(t, 4, at20.NumGPU, "a starting worker already holds its GPU")
	require.Equal(t, 1, busyBefore, "the new prefill worker takes no job before 55 s")
	require.Equal(t, 2, busyAfter)
	require.Equal(t, 2, at56.Count(RolePrefill, WorkerReady))
	require.Equal(t, 2, at56.Count(RoleDecode, WorkerReady))
}

func countBusy(e *Engine) int {
	n := 0
	for _, w := range e.Snapshot().Workers {
		if w.Busy {
			n++
		}
	}
	return n
}

func TestRemovedDecodeWorkerFinishesItsStreams(t *testing.T) {
	e := testEngine(t, 2, 2)
	var recs []*recorder
	for i := 0; i < 10; i++ {
		recs = append(recs, submitAt(t, e, time.Duration(i)*10*time.Millisecond, 1000, 300))
	}
	var during Snapshot
	e.Schedule(3*time.Second, func() {
		require.NoError(t, e.Scale(2, 1))
		during = e.Snapshot()
	})
	late := submitAt(t, e, 3500*time.Millisecond, 1000, 10)
	e.RunUntilIdle(time.Hour)
	require.Equal(t, 1, during.Count(RoleDecode, WorkerDraining))
	for i, r := range recs {
		require.Equal(t, FinishLength, r.reason, "request %d", i)
		require.Len(t, r.tokens, 300, "request %d", i)
	}
	require.Equal(t, FinishLength, late.reason)
	s := e.Snapshot()
	require.Equal(t, 1, s.Count(RoleDecode, WorkerReady))
	require.Equal(t, 0, s.Count(RoleDecode, WorkerDraining), "the drained worker stopped")
	require.Equal(t, 3, s.NumGPU)
}

func TestRemovedPrefillWorkerFinishesItsJob(t *testing.T) {
	e := testEngine(t, 2, 1)
	a := submitAt(t, e, 0, 3000, 5)
	b := submitAt(t, e, 0, 3000, 5)
	e.Schedule(100*time.Millisecond, func() {
		require.Equal(t, 2, countBusy(e))
		require.NoError(t, e.Scale(1, 1))
		require.Equal(t, 1, e.Snapshot().Count(RolePrefill, WorkerDraining))
	})
	e.RunUntilIdle(time.Hour)
	require.Equal(t, FinishLength, a.reason)
	require.Equal(t, FinishLength, b.reason)
	require.Equal(t, 2, e.Snapshot().NumGPU)
}

func TestScaleRespectsMachineGPUs(t *testing.T) {
	e := testEngine(t, 2, 2)
	require.Equal(t, 8, e.Config().MaxGPUs)
	require.NoError(t, e.Scale(4, 4))
	err := e.Scale(5, 4)
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, "need 9 GPUs; the graph has 8")
	require.Equal(t, 8, e.Snapshot().NumGPU, "a refused scale changes nothing")
}

func TestSubmitRejectsTooLong(t *testing.T) {
	e := testEngine(t, 1, 1)
	_, err := e.Submit(&Request{PromptTokens: 16000, MaxTokens: 1000})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, "maximum context length is 16384")
	_, err = e.Submit(&Request{PromptTokens: 10, MaxTokens: 0})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorIs(t, e.Scale(1, 0), ErrBadRequest)
}

func TestPreemptionUnderKVPressure(t *testing.T) {
	e := testEngine(t, 4, 1, func(c *GraphConfig) { c.MaxModelLen = 16384 })
	// Each request ends at 16000 tokens = 250 blocks; 6794 blocks hold 27.
	var recs []*recorder
	for i := 0; i < 40; i++ {
		recs = append(recs, submitAt(t, e, time.Duration(i)*time.Millisecond, 8000, 8000))
	}
	checkInvariantsDuring(t, e, 200*time.Millisecond)
	e.RunUntilIdle(24 * time.Hour)
	require.Greater(t, e.Snapshot().Counters.Preemptions, int64(0))
	for _, r := range recs {
		require.Equal(t, FinishLength, r.reason)
		require.Len(t, r.tokens, 8000)
	}
}

// checkInvariantsDuring checks KV accounting at a regular interval.
func checkInvariantsDuring(t *testing.T, e *Engine, every time.Duration) {
	var tick func()
	tick = func() {
		require.NoError(t, e.checkInvariants())
		if len(e.events) > 0 {
			e.Schedule(e.now+every, tick)
		}
	}
	e.Schedule(e.now, tick)
}

// TestKVAccountingProperty drives random arrivals, aborts and scaling, with
// and without prefix caching, and checks after every event that no KV count
// goes negative or past capacity and that leases add up.
func TestKVAccountingProperty(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			e := testEngine(t, 1+rng.IntN(2), 1+rng.IntN(2), func(c *GraphConfig) {
				c.PrefixCaching = seed%2 == 0
				c.ConditionalDisagg = seed%3 == 0
				d := schemas.Duration(2 * time.Second)
				c.StartupDelay = &d
			})
			e.prof = tightProfile(e.prof, 150) // few blocks: pressure and preemption
			e.blocksPerWorker = 150
			for _, w := range e.decode {
				w.kv = newKVPool(150)
			}
			var handles []Handle
			for i := 0; i < 400; i++ {
				at := time.Duration(rng.IntN(60_000)) * time.Millisecond
				prompt, out := 1+rng.IntN(2000), 1+rng.IntN(2500)
				hashes := make([]uint64, prompt/64)
				for j := range hashes {
					hashes[j] = uint64(rng.IntN(3))<<32 | uint64(j) // shared prefixes
				}
				switch rng.IntN(10) {
				case 0:
					p, d := 1+rng.IntN(3), 1+rng.IntN(3)
					e.Schedule(at, func() {
						if err := e.Scale(p, d); err != nil {
							require.ErrorIs(t, err, ErrBadRequest, "only the GPU limit may refuse")
						}
					})
				case 1:
					e.Schedule(at, func() {
						if len(handles) > 0 {
							e.Abort(handles[rng.IntN(len(handles))])
						}
					})
				default:
					e.Schedule(at, func() {
						h, err := e.Submit(&Request{PromptTokens: prompt, MaxTokens: out, BlockHashes: hashes})
						require.NoError(t, err)
						handles = append(handles, h)
					})
				}
			}
			for len(e.events) > 0 {
				e.AdvanceTo(e.events[0].at)
				require.NoError(t, e.checkInvariants())
			}
			c := e.Snapshot().Counters
			t.Logf("counters %+v", c)
			require.Equal(t, c.Submitted, c.Finished+c.Aborted, "every request ends once")
			for _, w := range e.decode {
				require.Zero(t, w.kv.used, "all KV returned")
			}
		})
	}
}

func tightProfile(p *schemas.Profile, blocks int) *schemas.Profile {
	cp := *p
	cp.GPUMemoryBytes = (cp.WeightsBytes + float64(blocks*64)*cp.KVBytesPerToken) / cp.GPUMemoryUtilization
	return &cp
}

// The frontend's latency sums (exported as Dynamo's TTFT, ITL and request
// duration histograms) add up what the requests' own observers saw.
func TestFrontendLatencySumsMatchTheRequests(t *testing.T) {
	e := testEngine(t, 1, 1)
	a := submitAt(t, e, time.Second, 3000, 10)
	b := submitAt(t, e, 2*time.Second, 1000, 5)
	e.RunUntilIdle(time.Hour)
	c := e.Snapshot().Counters
	wantTTFT := (a.tokens[0] - time.Second + b.tokens[0] - 2*time.Second).Seconds()
	wantITL := (a.tokens[9] - a.tokens[0] + b.tokens[4] - b.tokens[0]).Seconds() // gaps telescope
	wantDur := (a.done - time.Second + b.done - 2*time.Second).Seconds()
	require.EqualValues(t, 2, c.FirstTokens)
	require.EqualValues(t, 9+4, c.TokenGaps)
	require.InDelta(t, wantTTFT, c.TTFTSeconds, 1e-9)
	require.InDelta(t, wantITL, c.ITLSeconds, 1e-9)
	require.InDelta(t, wantDur, c.DurationSeconds, 1e-9)
}
