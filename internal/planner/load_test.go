package planner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// window builds an interval of samples: queue values in order, one KV load
// per decode worker per sample.
func window(p, d int, queues []float64, kv float64) []schemas.Sample {
	w := make([]schemas.Sample, len(queues))
	for i, q := range queues {
		loads := make([]float64, d)
		for j := range loads {
			loads[j] = kv
		}
		w[i] = schemas.Sample{At: time.Duration(i+1) * time.Second, PrefillQueueSize: q, KVLoads: loads, PrefillWorkers: p, DecodeWorkers: d}
		w[i].Finish()
	}
	return w
}

func flat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestLoadPlannerRules(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	rising := []float64{4, 5, 6, 7, 8, 9, 10, 11, 12, 13} // mean 8.5, last 13: predicted 13 + 9·3
	falling := []float64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3} // mean 7.5, predicted 3 - 9·3 < 5
	for _, tc := range []struct {
		name       string
		p, d       int
		queues     []float64
		kv         float64
		grace      int
		wantP      int
		wantD      int
		wantGrace  int
		wantReason string
	}{
		{"queue just below the down threshold", 2, 1, flat(0.19, 10), 0.7, 0, -1, 0, 0, "prefill -1: mean queue 0.19 < 0.20"},
		{"queue just above the down threshold", 2, 1, flat(0.21, 10), 0.7, 0, 0, 0, 0, "within thresholds"},
		{"min endpoint floor for prefill", 1, 1, flat(0, 10), 0.7, 0, 0, 0, 0, "within thresholds"},
		{"kv just below the down threshold", 1, 2, flat(1, 10), 0.49, 0, 0, -1, 0, "decode -1: mean KV load 0.49 < 0.50"},
		{"kv just above the down threshold", 1, 2, flat(1, 10), 0.51, 0, 0, 0, 0, "within thresholds"},
		{"min endpoint floor for decode", 1, 1, flat(1, 10), 0.1, 0, 0, 0, 0, "within thresholds"},
		{"grace period suppresses decode scale-down", 1, 2, flat(1, 10), 0.3, 2, 0, 0, 1, "decode kept: mean KV load 0.30 < 0.50 but 2 grace interval(s) left"},
		{"queue above the up threshold with a rising trend", 1, 1, rising, 0.7, 0, 1, 0, 0, "prefill +1: mean queue 8.50 > 5.00, predicted 40.00"},
		{"queue just below the up threshold", 1, 1, flat(4.9, 10), 0.7, 0, 0, 0, 0, "within thresholds"},
		{"trend rule suppresses prefill scale-up", 1, 1, falling, 0.7, 0, 0, 0, 0, "prefill kept: mean queue 7.50 > 5.00 but the trend predicts -24.00"},
		{"queue just above the up threshold, flat trend", 1, 1, flat(5.1, 10), 0.7, 0, 1, 0, 0, "prefill +1: mean queue 5.10 > 5.00, predicted 5.10"},
		{"budget exhausted for prefill", 4, 4, rising, 0.7, 0, 0, 0, 0, "prefill kept: mean queue 8.50 > 5.00 but the GPU budget 8 is used"},
		{"kv above the up threshold", 1, 1, flat(1, 10), 0.91, 0, 0, 1, 2, "decode +1: mean KV load 0.91 > 0.90"},
		{"kv just below the up threshold", 1, 1, flat(1, 10), 0.89, 0, 0, 0, 0, "within thresholds"},
		{"budget exhausted for decode", 3, 5, flat(1, 10), 0.95, 0, 0, 0, 0, "decode kept: mean KV load 0.95 > 0.90 but the GPU budget 8 is used"},
		{"scale-down first frees budget for scale-up", 4, 4, flat(0, 10), 0.95, 0, -1, 1, 2, "prefill -1: mean queue 0.00 < 0.20; decode +1: mean KV load 0.95 > 0.90"},
		{"both roles up at once", 2, 2, rising, 0.95, 0, 1, 1, 2, "prefill +1"},
		{"grace counts down", 1, 1, flat(1, 10), 0.7, 3, 0, 0, 2, "within thresholds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, st := Decide(cfg, nil, State{DecodeGrace: tc.grace}, window(tc.p, tc.d, tc.queues, tc.kv))
			require.Equal(t, tc.wantP, d.DeltaPrefill, d.Reason)
			require.Equal(t, tc.wantD, d.DeltaDecode, d.Reason)
			require.Equal(t, tc.wantGrace, st.DecodeGrace)
			require.Contains(t, d.Reason, tc.wantReason)
			require.Equal(t, tc.p+tc.wantP, d.Prefill)
			require.Equal(t, tc.d+tc.wantD, d.Decode)
			require.LessOrEqual(t, d.Inputs.GPUsAfter, cfg.MaxGPUBudget)
		})
	}
}

func TestLoadPlannerSkipsWhenWorkerSetChanged(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	w := window(1, 1, flat(20, 10), 0.95)
	for i := 5; i < 10; i++ {
		w[i].PrefillWorkers = 2 // a worker finished starting mid-interval
	}
	d, st := Decide(cfg, nil, State{DecodeGrace: 2}, w)
	require.False(t, d.Changes())
	require.True(t, strings.HasPrefix(d.Reason, "worker set changed during the interval (1p1d -> 2p1d)"), d.Reason)
	require.Equal(t, 2, st.DecodeGrace, "a skipped interval returns before the grace countdown, as the reference does")
	require.Equal(t, 1, st.Intervals)

	// The count at the interval's start, when known, is the reference point.
	st = State{}
	st.MarkReset(1, 1)
	w = window(2, 1, flat(20, 10), 0.5) // a worker became ready before the first sample
	d, _ = Decide(cfg, nil, st, w)
	require.Contains(t, d.Reason, "worker set changed during the interval (1p1d -> 2p1d)")
	st.MarkReset(2, 1)
	d, _ = Decide(cfg, nil, st, w)
	require.Equal(t, 1, d.DeltaPrefill, d.Reason)
}

func TestLoadPlannerMeansAreOverAllSamplesAndWorkers(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	w := window(1, 2, []float64{0, 0, 0, 0, 12}, 0)
	w[0].KVLoads = []float64{0.9, 0.1}
	w[1].KVLoads = []float64{0.2, 0.2}
	for i := range w {
		w[i].Finish()
	}
	d, _ := Decide(cfg, nil, State{}, w)
	require.InDelta(t, 2.4, d.Inputs.AvgPrefillQueue, 1e-9)
	require.InDelta(t, 1.4/10, d.Inputs.AvgKVLoad, 1e-9)
	require.InDelta(t, 12+12*3, d.Inputs.PredictedQueue, 1e-9)
}

func TestKVLoadEstimate(t *testing.T) {
	require.Equal(t, 0.5, schemas.KVLoad(0.5, 3, 0), "no active slots: no estimate")
	require.InDelta(t, 0.56, schemas.KVLoad(0.5, 3, 4), 1e-12)
	require.Equal(t, 0.5, schemas.KVLoad(0.5, 0, 4))
}

func TestNoopNeverScales(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	cfg.Mode = schemas.PlannerNoop
	d, _ := Decide(cfg, nil, State{}, window(1, 1, flat(50, 10), 0.99))
	require.False(t, d.Changes())
	require.Contains(t, d.Reason, "no-operation")
	require.InDelta(t, 50, d.Inputs.AvgPrefillQueue, 1e-9, "inputs still recorded")
	d, _ = Decide(cfg, nil, State{}, nil)
	require.Equal(t, "no metric samples in this interval", d.Reason)
}

// The reference applies each change as it decides it and, only when a
// change succeeded, counts its GPUs for the later budget checks or starts
// the decode grace period (examples/llm/components/planner.py,
// make_adjustments, `if success`, commit 1a0ded562521a95a53b5f7a67532834b0f1530b8).
func TestLoadPlannerCountsOnlySuccessfulChanges(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	refuse := func(refused string) (actuator, *[]string) {
		var calls []string
		return func(role string, delta int) (bool, error) {
			call := role + map[bool]string{true: "+1", false: "-1"}[delta > 0]
			calls = append(calls, call)
			if call == refused {
				return false, errors.New("no free GPU")
			}
			return true, nil
		}, &calls
	}

	// 4p4d at the 8-GPU budget: prefill -1 frees a GPU for decode +1 ...
	act, calls := refuse("")
	d, st := decide(cfg, nil, State{}, window(4, 4, flat(0, 10), 0.95), act)
	require.Equal(t, []string{"prefill-1", "decode+1"}, *calls)
	require.Equal(t, -1, d.DeltaPrefill)
	require.Equal(t, 1, d.DeltaDecode)
	require.Equal(t, 2, st.DecodeGrace, "set to 3, then counted down")
	// ... but when the removal fails, the GPU is still held and decode +1
	// is over budget: not even asked for.
	act, calls = refuse("prefill-1")
	d, st = decide(cfg, nil, State{}, window(4, 4, flat(0, 10), 0.95), act)
	require.Equal(t, []string{"prefill-1"}, *calls)
	require.Zero(t, d.DeltaPrefill)
	require.Zero(t, d.DeltaDecode)
	require.Contains(t, d.Reason, "prefill -1 failed (mean queue 0.00 < 0.20): no free GPU")
	require.Contains(t, d.Reason, "decode kept: mean KV load 0.95 > 0.90 but the GPU budget 8 is used")
	require.Zero(t, st.DecodeGrace)
	require.Equal(t, 8, d.Inputs.GPUsAfter)

	// A decode scale-up that fails starts no grace period.
	act, calls = refuse("decode+1")
	d, st = decide(cfg, nil, State{}, window(1, 1, flat(1, 10), 0.95), act)
	require.Equal(t, []string{"decode+1"}, *calls)
	require.Zero(t, d.DeltaDecode)
	require.Zero(t, st.DecodeGrace, "no worker was added: no grace")
	require.Contains(t, d.Reason, "decode +1 failed")
}

// With no samples the reference's means are NaN: nothing changes, and the
// grace period still counts down.
func TestLoadPlannerEmptyWindowCountsGraceDown(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	d, st := Decide(cfg, nil, State{DecodeGrace: 2}, nil)
	require.False(t, d.Changes())
	require.Equal(t, "no metric samples in this interval", d.Reason)
	require.Equal(t, 1, st.DecodeGrace)
	require.Equal(t, 1, st.Intervals)
	cfg.Mode = schemas.PlannerNoop
	_, st = Decide(cfg, nil, State{DecodeGrace: 2}, nil)
	require.Equal(t, 2, st.DecodeGrace, "only the load planner has a grace period")
}

// Tick scales the deployment change by change, to targets counted from the
// workers serving or starting.
func TestTickAppliesChangesInOrder(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	cfg.BlockingScaling = false
	w := window(2, 2, []float64{4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, 0.3)
	w[len(w)-1].DecodeStarting = 1 // asked for before, not ready yet
	var asked []schemas.Target
	d, st := Tick(cfg, nil, State{}, 10*time.Second, w, func(t schemas.Target) (schemas.Workers, error) {
		asked = append(asked, t)
		return schemas.Workers{PrefillReady: 2, DecodeReady: 1, PrefillStarting: t.Prefill - 2, DecodeStarting: 1}, nil
	})
	require.Equal(t, []schemas.Target{{Prefill: 2, Decode: 2}, {Prefill: 3, Decode: 2}}, asked, "decode -1 (3 -> 2), then prefill +1")
	require.True(t, d.Scaled)
	require.Equal(t, 10*time.Second, d.At)
	require.Equal(t, State{Intervals: 1, ResetKnown: true, ResetPrefill: 2, ResetDecode: 1}, st, "the next interval starts from the workers after the change")

	d, st = Tick(cfg, nil, State{}, 10*time.Second, w, func(schemas.Target) (schemas.Workers, error) {
		return schemas.Workers{}, errors.New("refused")
	})
	require.False(t, d.Scaled)
	require.False(t, d.Changes())
	require.Equal(t, 2, st.ResetDecode, "nothing changed: the workers as last seen")
}
