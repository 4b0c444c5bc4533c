package planner

import (
	"fmt"
	"time"

	"plannerbench/schemas"
)

// State is what a planner carries from one adjustment interval to the next
// (and across a workflow's continue-as-new).
type State struct {
	// Intervals counts adjustment intervals decided so far.
	Intervals int `json:"intervals"`
	// DecodeGrace is the number of further intervals in which the load
	// planner will not remove a decode worker (set after adding one).
	DecodeGrace int `json:"decode_grace"`
	// History holds the SLA planner's observed loads, newest last.
	History []schemas.Load `json:"history,omitempty"`
	// ResetPrefill and ResetDecode are the ready workers when the current
	// interval began (after the last adjustment was applied); the load
	// planner skips an interval in which they changed. ResetKnown is false
	// before the first interval, when the window's first sample stands in.
	ResetKnown   bool `json:"reset_known"`
	ResetPrefill int  `json:"reset_prefill"`
	ResetDecode  int  `json:"reset_decode"`
	// Blocking is the blocking adjustment being applied (load planner with
	// blocking_scaling), nil otherwise.
	Blocking *Blocking `json:"blocking,omitempty"`
	// Offset is how far blocking adjustments have moved the intervals:
	// interval n ends at n adjustment intervals plus Offset (trace time).
	Offset time.Duration `json:"offset,omitempty"`
}

// MarkReset records the ready workers at the start of an interval.
func (s *State) MarkReset(prefillReady, decodeReady int) {
	s.ResetKnown, s.ResetPrefill, s.ResetDecode = true, prefillReady, decodeReady
}

// actuator applies one change of one role (±1 worker) as the load planner
// decides it, and reports whether it took. nil takes every change as done.
type actuator func(role string, delta int) (ok bool, err error)

func decide(cfg schemas.PlannerConfig, perf PerfModel, st State, window []schemas.Sample, act actuator) (schemas.Decision, State) {
	st.Intervals++
	d := schemas.Decision{Interval: st.Intervals, Mode: cfg.Mode}
	if len(window) == 0 {
		d.Reason = "no metric samples in this interval"
		if m := modeOf(cfg.Mode); m.noSamples != nil {
			m.noSamples(&st)
		}
		return d, st
	}
	last := window[len(window)-1]
	d.At = last.At
	d.Prefill, d.Decode = last.PrefillWorkers, last.DecodeWorkers
	d.Inputs.Samples = len(window)
	d.Inputs.PrefillAtStart, d.Inputs.DecodeAtStart = window[0].PrefillWorkers, window[0].DecodeWorkers
	if st.ResetKnown {
		d.Inputs.PrefillAtStart, d.Inputs.DecodeAtStart = st.ResetPrefill, st.ResetDecode
	}
	d.Inputs.PrefillNow, d.Inputs.DecodeNow = last.PrefillWorkers, last.DecodeWorkers
	d.Inputs.AvgPrefillQueue, d.Inputs.AvgKVLoad = meanQueue(window), meanKV(window)
	return modeOf(cfg.Mode).decide(cfg, perf, st, window, d, act)
}

func meanQueue(w []schemas.Sample) float64 {
	q := make([]float64, len(w))
	for i, s := range w {
		q[i] = s.PrefillQueueSize
	}
	return schemas.Mean(q)
}

// meanKV is the plain mean of every worker's KV load over the interval, as
// the load planner computes it (np.mean over all collected values).
func meanKV(w []schemas.Sample) float64 {
	var all []float64
	for _, s := range w {
		all = append(all, s.KVLoads...)
	}
	return schemas.Mean(all)
}

// decideLoad is Dynamo's load-based planner (docs/fidelity.md, Planners), read from
// ai-dynamo/dynamo examples/llm/components/planner.py, make_adjustments
// (commit 1a0ded562521a95a53b5f7a67532834b0f1530b8): skip when the worker
// set changed during the interval; scale down first (prefill when the mean
// queue is below its threshold, decode when the mean KV load is below its
// threshold and no grace period runs), then up (prefill when the mean queue
// is above its threshold, the GPU budget allows and the queue's trend keeps
// it above; decode when the mean KV load is above its threshold and the
// budget allows). Each change is applied as it is decided, in that order,
// and only one that succeeded changes the GPU count the later budget checks
// use, or starts the decode grace period (the reference's `if success`).
// At most ±1 a role.
func decideLoad(cfg schemas.PlannerConfig, _ PerfModel, st State, w []schemas.Sample, d schemas.Decision, act actuator) (schemas.Decision, State) {
	first, last := w[0], w[len(w)-1]
	in := &d.Inputs
	in.FirstQueue, in.LastQueue = first.PrefillQueueSize, last.PrefillQueueSize
	in.PredictedQueue = last.PrefillQueueSize + (last.PrefillQueueSize-first.PrefillQueueSize)*newPrefillWorkerQueueBufferPeriod
	in.DecodeGrace = st.DecodeGrace
	if in.PrefillAtStart != last.PrefillWorkers || in.DecodeAtStart != last.DecodeWorkers {
		d.Reason = fmt.Sprintf("worker set changed during the interval (%dp%dd -> %dp%dd): no adjustment",
			in.PrefillAtStart, in.DecodeAtStart, last.PrefillWorkers, last.DecodeWorkers)
		return d, st
	}
	p, dec := last.PrefillWorkers, last.DecodeWorkers
	gpu := p*cfg.PrefillEngineNumGPU + dec*cfg.DecodeEngineNumGPU
	in.GPUsBefore = gpu
	var reasons []string
	if cfg.PrefillQueuePerWorker && p > 0 {
		// From ai-dynamo/dynamo 93702e44 (2025-05-20) the planner compares
		// the queue mean per prefill worker; the seed's run (7d5d6f8c) did not.
		in.AvgPrefillQueue /= float64(p)
	}
	avgQ, avgKV := in.AvgPrefillQueue, in.AvgKVLoad
	// apply asks for one change; what it says is recorded in the reason.
	apply := func(role string, delta int, why string) bool {
		ok, err := true, error(nil)
		if act != nil {
			ok, err = act(role, delta)
		}
		if !ok {
			msg := fmt.Sprintf("%s %+d failed (%s)", role, delta, why)
			if err != nil {
				msg += ": " + err.Error()
			}
			reasons = append(reasons, msg)
			return false
		}
		reasons = append(reasons, fmt.Sprintf("%s %+d: %s", role, delta, why))
		return true
	}

	if avgQ < cfg.PrefillQueueScaleDownThreshold && p > cfg.MinEndpoint {
		if apply(rolePrefill, -1, fmt.Sprintf("mean queue %.2f < %.2f", avgQ, cfg.PrefillQueueScaleDownThreshold)) {
			d.DeltaPrefill--
			gpu -= cfg.PrefillEngineNumGPU
		}
	}
	if avgKV < cfg.DecodeKVScaleDownThreshold && dec > cfg.MinEndpoint {
		if st.DecodeGrace > 0 {
			reasons = append(reasons, fmt.Sprintf("decode kept: mean KV load %.2f < %.2f but %d grace interval(s) left", avgKV, cfg.DecodeKVScaleDownThreshold, st.DecodeGrace))
		} else if apply(roleDecode, -1, fmt.Sprintf("mean KV load %.2f < %.2f", avgKV, cfg.DecodeKVScaleDownThreshold)) {
			d.DeltaDecode--
			gpu -= cfg.DecodeEngineNumGPU
		}
	}
	if avgQ > cfg.PrefillQueueScaleUpThreshold {
		switch {
		case gpu+cfg.PrefillEngineNumGPU > cfg.MaxGPUBudget:
			reasons = append(reasons, fmt.Sprintf("prefill kept: mean queue %.2f > %.2f but the GPU budget %d is used", avgQ, cfg.PrefillQueueScaleUpThreshold, cfg.MaxGPUBudget))
		case in.PredictedQueue <= cfg.PrefillQueueScaleUpThreshold:
			reasons = append(reasons, fmt.Sprintf("prefill kept: mean queue %.2f > %.2f but the trend predicts %.2f", avgQ, cfg.PrefillQueueScaleUpThreshold, in.PredictedQueue))
		default:
			if apply(rolePrefill, +1, fmt.Sprintf("mean queue %.2f > %.2f, predicted %.2f", avgQ, cfg.PrefillQueueScaleUpThreshold, in.PredictedQueue)) {
				d.DeltaPrefill++
				gpu += cfg.PrefillEngineNumGPU
			}
		}
	}
	if avgKV > cfg.DecodeKVScaleUpThreshold {
		if gpu+cfg.DecodeEngineNumGPU > cfg.MaxGPUBudget {
			reasons = append(reasons, fmt.Sprintf("decode kept: mean KV load %.2f > %.2f but the GPU budget %d is used", avgKV, cfg.DecodeKVScaleUpThreshold, cfg.MaxGPUBudget))
		} else if apply(roleDecode, +1, fmt.Sprintf("mean KV load %.2f > %.2f", avgKV, cfg.DecodeKVScaleUpThreshold)) {
			d.DeltaDecode++
			gpu += cfg.DecodeEngineNumGPU
			st.DecodeGrace = cfg.DecodeGraceIntervals
		}
	}
	// The reference decrements the grace period at the end of every
	// adjustment, including the one that set it.
	countDownGrace(&st)
	in.GPUsAfter = gpu
	d.Prefill, d.Decode = p+d.DeltaPrefill, dec+d.DeltaDecode
	if len(reasons) == 0 {
		reasons = append(reasons, fmt.Sprintf("within thresholds: mean queue %.2f, mean KV load %.2f", avgQ, avgKV))
	}
	d.Reason = join(reasons)
	return d, st
}

// Roles as the load planner's reasons and actuator name them.
const (
	rolePrefill = "prefill"
	roleDecode  = "decode"
)

func countDownGrace(st *State) {
	if st.DecodeGrace > 0 {
		st.DecodeGrace--
	}
}

// newPrefillWorkerQueueBufferPeriod is the reference's
// NEW_PREFILL_WORKER_QUEUE_BUFFER_PERIOD: a prefill worker is added only if
// the queue, extrapolated this many intervals along its trend, stays above
// the threshold (a new worker takes time to start).
const newPrefillWorkerQueueBufferPeriod = 3

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "; "
		}
		out += p
	}
	return out
}
