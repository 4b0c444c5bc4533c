package planner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// fpmSample is one sample of p prefill engines sharing queued prefill
// tokens and decode engines with the given KV demands.
func fpmSample(p int, queuedTokens float64, demands ...float64) []schemas.Sample {
	s := schemas.Sample{PrefillWorkers: p, DecodeWorkers: len(demands), PrefillQueuedTokens: queuedTokens, KVDemands: demands}
	return []schemas.Sample{s}
}

// Every threshold of Dynamo's 2026 easy-mode load scaling from both sides
// (load_scaling.py @0c6da1ec: prefill queued tokens / context_length,
// decode (scheduled + queued KV) / max_kv_tokens). Context length 16384,
// so 0.1 of it is 1638.4 tokens a prefill engine.
func TestLoadFPMThresholds(t *testing.T) {
	for _, tc := range []struct {
		name         string
		target       string
		window       []schemas.Sample
		wantP, wantD int
	}{
		// throughput, prefill: up at >= 1.0, down when all < 0.1
		{"prefill ratio 1.0 scales up", schemas.TargetThroughput, fpmSample(1, 16384, 0.7), 1, 0},
		{"prefill ratio just under 1.0 holds", schemas.TargetThroughput, fpmSample(1, 16383, 0.7), 0, 0},
		{"two prefill engines, each at 1.0", schemas.TargetThroughput, fpmSample(2, 2*16384, 0.7), 1, 0},
		{"two prefill engines just under 0.1 scale down", schemas.TargetThroughput, fpmSample(2, 2*1638, 0.7), -1, 0},
		{"two prefill engines at 0.1 hold", schemas.TargetThroughput, fpmSample(2, 2*1638.4, 0.7), 0, 0},
		{"one prefill engine never goes below min_endpoint", schemas.TargetThroughput, fpmSample(1, 0, 0.7), 0, 0},
		// throughput, decode: up when any > 1.0, down when all < 0.6
		{"decode at exactly 1.0 holds", schemas.TargetThroughput, fpmSample(1, 5000, 1.0), 0, 0},
		{"decode over 1.0 scales up", schemas.TargetThroughput, fpmSample(1, 5000, 1.0001), 0, 1},
		{"any decode engine over is enough", schemas.TargetThroughput, fpmSample(1, 5000, 0.0, 1.2), 0, 1},
		{"all decode engines under 0.6 scale down", schemas.TargetThroughput, fpmSample(1, 5000, 0.59, 0.59), 0, -1},
		{"one decode engine at 0.6 holds", schemas.TargetThroughput, fpmSample(1, 5000, 0.59, 0.6), 0, 0},
		{"one decode engine never goes below min_endpoint", schemas.TargetThroughput, fpmSample(1, 5000, 0.0), 0, 0},
		// latency: prefill up at >= 0.1, down when all == 0; decode up > 0.4, down < 0.1
		{"latency: prefill at 0.1 scales up", schemas.TargetLatency, fpmSample(1, 1638.4, 0.2), 1, 0},
		{"latency: prefill just under 0.1 holds", schemas.TargetLatency, fpmSample(1, 1638, 0.2), 0, 0},
		{"latency: empty prefill queues scale down", schemas.TargetLatency, fpmSample(2, 0, 0.2), -1, 0},
		{"latency: one queued token holds", schemas.TargetLatency, fpmSample(2, 1, 0.2), 0, 0},
		{"latency: decode over 0.4 scales up", schemas.TargetLatency, fpmSample(1, 1, 0.41), 0, 1},
		{"latency: decode at 0.4 holds", schemas.TargetLatency, fpmSample(1, 1, 0.4), 0, 0},
		{"latency: decode all under 0.1 scale down", schemas.TargetLatency, fpmSample(1, 1, 0.09, 0.09), 0, -1},
		{"latency: decode at 0.1 holds", schemas.TargetLatency, fpmSample(1, 1, 0.09, 0.1), 0, 0},
		// both at once
		{"both roles up in one decision", schemas.TargetThroughput, fpmSample(1, 20000, 1.5), 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := schemas.DefaultPlannerConfig()
			cfg.Mode, cfg.OptimizationTarget = schemas.PlannerLoadFPM, tc.target
			d, _ := Decide(cfg, nil, State{}, tc.window)
			require.Equal(t, tc.wantP, d.DeltaPrefill, d.Reason)
			require.Equal(t, tc.wantD, d.DeltaDecode, d.Reason)
		})
	}
}

func TestLoadFPMBudgetAndNoGrace(t *testing.T) {
	cfg := schemas.DefaultPlannerConfig()
	cfg.Mode = schemas.PlannerLoadFPM
	// 4p4d on an 8-GPU budget: both want up, both withdrawn.
	d, _ := Decide(cfg, nil, State{}, fpmSample(4, 4*20000, 1.5, 1.5, 1.5, 1.5))
	require.Zero(t, d.DeltaPrefill)
	require.Zero(t, d.DeltaDecode)
	require.Contains(t, d.Reason, "prefill increase withdrawn: over the GPU budget")
	require.Contains(t, d.Reason, "decode increase withdrawn")
	// 3p4d, both want up, one GPU left: prefill's increase is withdrawn
	// first, and then decode's fits.
	d, _ = Decide(cfg, nil, State{}, fpmSample(3, 3*20000, 1.5, 1.5, 1.5, 1.5))
	require.Zero(t, d.DeltaPrefill)
	require.Equal(t, 1, d.DeltaDecode)
	// Right after a decode scale-up a scale-down is allowed: no grace
	// period, and no skip when the worker set changed.
	st := State{DecodeGrace: 3}
	st.MarkReset(1, 1)
	d, _ = Decide(cfg, nil, st, fpmSample(1, 0, 0.1, 0.1))
	require.Equal(t, -1, d.DeltaDecode, d.Reason)
}
