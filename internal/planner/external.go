package planner

import (
	"fmt"
	"time"

	"plannerbench/schemas"
)

// Want is what an external planner asked for in one interval: worker
// counts (nil: no decision, or a bad answer) and its reason, or why there
// is none.
type Want struct {
	Target *schemas.Target
	Reason string
}

// TickExternal is Tick for a planner outside plannerbench (mode external):
// the decision is the planner's wanted worker counts, checked against the
// GPU budget, recorded like plannerbench's own planners' decisions (reason
// prefixed "external") and applied through scale. A want without a target
// (a bad answer, no new decision) records its reason and changes nothing.
func TickExternal(cfg schemas.PlannerConfig, st State, at time.Duration, window []schemas.Sample, want Want, scale Scaler) (schemas.Decision, State) {
	if !st.ResetKnown && len(window) > 0 {
		st.MarkReset(window[0].PrefillWorkers, window[0].DecodeWorkers)
	}
	d, st := decide(cfg, nil, st, window, nil) // the bookkeeping: interval, inputs
	d.At, d.Mode = at, schemas.PlannerExternal
	d.Reason = "external: " + want.Reason
	if want.Target == nil || len(window) == 0 {
		if want.Target != nil {
			d.Reason += "; no metric samples, so no deployment to change"
		}
		return d, st
	}
	last := window[len(window)-1]
	cur := schemas.Target{Prefill: last.PrefillWorkers + last.PrefillStarting, Decode: last.DecodeWorkers + last.DecodeStarting}
	t := *want.Target
	if gpus := t.Prefill*cfg.PrefillEngineNumGPU + t.Decode*cfg.DecodeEngineNumGPU; gpus > cfg.MaxGPUBudget {
		d.Reason += fmt.Sprintf("; refused: %dp%dd needs %d GPUs, over the budget of %d", t.Prefill, t.Decode, gpus, cfg.MaxGPUBudget)
		return d, st
	}
	d.Inputs.GPUsBefore = cur.Prefill*cfg.PrefillEngineNumGPU + cur.Decode*cfg.DecodeEngineNumGPU
	d.Inputs.GPUsAfter = t.Prefill*cfg.PrefillEngineNumGPU + t.Decode*cfg.DecodeEngineNumGPU
	d.Prefill, d.Decode = t.Prefill, t.Decode
	d.DeltaPrefill, d.DeltaDecode = t.Prefill-cur.Prefill, t.Decode-cur.Decode
	st.MarkReset(last.PrefillWorkers, last.DecodeWorkers)
	if !d.Changes() {
		return d, st
	}
	w, err := scale(t)
	if err != nil {
		d.Reason += "; scaling failed: " + err.Error()
		return d, st
	}
	d.Scaled = true
	st.MarkReset(w.PrefillReady, w.DecodeReady)
	return d, st
}

// AnswerWant is what the tick applies for an HTTP planner's answer.
func AnswerWant(a schemas.ExternalAnswer) Want {
	reason := a.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return Want{Target: &schemas.Target{Prefill: a.Prefill, Decode: a.Decode}, Reason: fmt.Sprintf("wants %dp%dd: %s", a.Prefill, a.Decode, reason)}
}

// ExternalRequestOf builds the HTTP protocol's request for one interval;
// its SLO is the planner settings' ttft and itl (the SLA planner's targets).
func ExternalRequestOf(caseID string, cfg schemas.PlannerConfig, interval int, at time.Duration, window []schemas.Sample) schemas.ExternalRequest {
	r := schemas.ExternalRequest{
		Version: 1, Case: caseID, Interval: interval, AtS: at.Seconds(), IntervalS: cfg.AdjustmentInterval.D().Seconds(),
		Samples: window,
		Budget: schemas.ExternalBudget{MaxGPUs: cfg.MaxGPUBudget, PrefillEngineNumGPU: cfg.PrefillEngineNumGPU,
			DecodeEngineNumGPU: cfg.DecodeEngineNumGPU, MinEndpoint: cfg.MinEndpoint},
		SLO: schemas.ExternalSLO{TTFTMS: float64(cfg.TTFT) / float64(time.Millisecond), ITLMS: float64(cfg.ITL) / float64(time.Millisecond)},
	}
	if r.Samples == nil {
		r.Samples = []schemas.Sample{}
	}
	if n := len(window); n > 0 {
		l := window[n-1]
		r.Workers = schemas.ExternalWorkers{Prefill: l.PrefillWorkers, Decode: l.DecodeWorkers, PrefillStarting: l.PrefillStarting, DecodeStarting: l.DecodeStarting}
	}
	return r
}
