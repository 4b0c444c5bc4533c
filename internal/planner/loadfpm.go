package planner

import (
	"fmt"

	"plannerbench/schemas"
)

// Dynamo's 2026 planner replaced the mid-2025 load rules with reactive
// scaling on each engine's forward-pass metrics. decideLoadFPM is its
// easy mode (optimization_target throughput or latency) for a
// disaggregated graph, read from ai-dynamo/dynamo
// components/src/dynamo/planner/core/load_scaling.py,
// LoadScalingMixin._advance_load_disagg, _prefill_easy_decision and
// _decode_easy_decision (commit 0c6da1ec762c848fe31cef804e70d171eef4d622):
//
//   - prefill: each engine's queued prefill tokens / context_length; one
//     more worker if ANY engine is at or above the scale-up threshold, one
//     fewer if there is more than one worker and ALL are below (latency:
//     all at or below) the scale-down threshold;
//   - decode: each engine's (scheduled + queued decode KV tokens) /
//     max_kv_tokens; one more if ANY is above the scale-up threshold, one
//     fewer if more than one worker and ALL are below the scale-down one;
//   - then at least min_endpoint a role, then the global GPU budget, and
//     both targets are asked for at once. No trend, no grace period, no
//     skip when the worker set changed.
//
// Thresholds (load_scaling.py module constants):
const (
	fpmPrefillThroughputUp   = 1.0 // queued >= context_length
	fpmPrefillThroughputDown = 0.1 // queued < context_length / 10
	fpmPrefillLatencyUp      = 0.1 // queued >= context_length / 10
	fpmPrefillLatencyDown    = 0.0 // queued == 0
	fpmDecodeThroughputUp    = 1.0 // KV demand > 100%
	fpmDecodeThroughputDown  = 0.6 // KV demand < 60%
	fpmDecodeLatencyUp       = 0.4 // KV demand > 40%
	fpmDecodeLatencyDown     = 0.1 // KV demand < 10%
)

// Where plannerbench's graph differs, and what stands in:
//   - the seed's graph queues prefill jobs in one shared queue, not one a
//     prefill engine: each ready prefill engine is given an equal share of
//     the queued tokens (so "any" and "all" compare the same ratio);
//   - the engines' state is the interval's last sample (upstream reads the
//     latest forward-pass metrics at the tick);
//   - the throughput lower bound (enable_throughput_scaling) is not
//     modelled; the global budget (_apply_global_budget, in a mixin not
//     read) is taken as: while the targets need more GPUs than
//     max_gpu_budget, an increase is withdrawn, prefill's first.

// fpmRatios are the per-engine loads the 2026 planner compares.
func fpmRatios(cfg schemas.PlannerConfig, s schemas.Sample) (prefill, decode []float64) {
	if s.PrefillWorkers > 0 {
		share := s.PrefillQueuedTokens / float64(s.PrefillWorkers) / float64(cfg.ContextLength)
		for i := 0; i < s.PrefillWorkers; i++ {
			prefill = append(prefill, share)
		}
	}
	return prefill, s.KVDemands
}

func decideLoadFPM(cfg schemas.PlannerConfig, _ PerfModel, st State, w []schemas.Sample, d schemas.Decision, _ actuator) (schemas.Decision, State) {
	last := w[len(w)-1]
	latency := cfg.OptimizationTarget == schemas.TargetLatency
	pUp, pDown, dUp, dDown := fpmPrefillThroughputUp, fpmPrefillThroughputDown, fpmDecodeThroughputUp, fpmDecodeThroughputDown
	if latency {
		pUp, pDown, dUp, dDown = fpmPrefillLatencyUp, fpmPrefillLatencyDown, fpmDecodeLatencyUp, fpmDecodeLatencyDown
	}
	pRatios, dRatios := fpmRatios(cfg, last)
	p, dec := last.PrefillWorkers, last.DecodeWorkers
	wantP, pWhy := fpmRole(p, pRatios, func(r float64) bool { return r >= pUp }, func(r float64) bool {
		if latency {
			return r <= pDown
		}
		return r < pDown
	}, cfg.MinEndpoint)
	wantD, dWhy := fpmRole(dec, dRatios, func(r float64) bool { return r > dUp }, func(r float64) bool { return r < dDown }, cfg.MinEndpoint)
	wantP, wantD = max(wantP, cfg.MinEndpoint), max(wantD, cfg.MinEndpoint)
	budgetNote := ""
	gpus := func(pp, dd int) int { return pp*cfg.PrefillEngineNumGPU + dd*cfg.DecodeEngineNumGPU }
	if wantP > p && gpus(wantP, wantD) > cfg.MaxGPUBudget {
		wantP, budgetNote = p, "; prefill increase withdrawn: over the GPU budget"
	}
	if wantD > dec && gpus(wantP, wantD) > cfg.MaxGPUBudget {
		wantD, budgetNote = dec, budgetNote+"; decode increase withdrawn: over the GPU budget"
	}
	d.DeltaPrefill, d.DeltaDecode = wantP-p, wantD-dec
	d.Inputs.AvgPrefillQueue = last.PrefillQueueSize
	d.Reason = fmt.Sprintf("load-fpm (%s): prefill %s; decode %s%s", cfg.OptimizationTarget, pWhy, dWhy, budgetNote)
	return d, st
}

// fpmRole is one role's easy-mode decision: +1 when any engine is over,
// -1 when there is more than one worker and every engine is under.
func fpmRole(n int, ratios []float64, over, under func(float64) bool, minEndpoint int) (int, string) {
	if n == 0 || len(ratios) == 0 {
		return n, "no engine reporting"
	}
	for _, r := range ratios {
		if over(r) {
			return n + 1, fmt.Sprintf("an engine at %.3f is over: %d -> %d", r, n, n+1)
		}
	}
	if n > 1 {
		all := true
		for _, r := range ratios {
			all = all && under(r)
		}
		if all {
			return max(n-1, minEndpoint), fmt.Sprintf("every engine under (max %.3f): %d -> %d", maxOf(ratios), n, max(n-1, minEndpoint))
		}
	}
	return n, fmt.Sprintf("no change (max %.3f)", maxOf(ratios))
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = max(m, x)
	}
	return m
}
