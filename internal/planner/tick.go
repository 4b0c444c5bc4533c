package planner

import (
	"time"

	"plannerbench/schemas"
)

// Scaler asks a deployment for a target and returns its workers right
// after: an activity in a live run, the engine itself in a replay.
type Scaler func(target schemas.Target) (schemas.Workers, error)

// Tick is one adjustment interval of a planner, the same in a live run
// (PlannerWorkflow) and in a virtual-time replay: decide on the window's
// samples (oldest first; the last one is the deployment as it stands), and
// when the decision changes anything, scale to the target it implies. at is
// the interval's end in trace time. The state carried forward records the
// ready workers the next interval starts from, which the load planner's
// skip rule compares against.
func Tick(cfg schemas.PlannerConfig, perf PerfModel, st State, at time.Duration, window []schemas.Sample, scale Scaler) (schemas.Decision, State) {
	if !st.ResetKnown && len(window) > 0 {
		st.MarkReset(window[0].PrefillWorkers, window[0].DecodeWorkers)
	}
	d, st := Decide(cfg, perf, st, window)
	d.At = at
	if len(window) == 0 {
		return d, st
	}
	last := window[len(window)-1]
	st.MarkReset(last.PrefillWorkers, last.DecodeWorkers)
	if !d.Changes() {
		return d, st
	}
	w, err := scale(TargetOf(last, d))
	if err != nil {
		d.Reason += "; scaling failed: " + err.Error()
		return d, st
	}
	d.Scaled = true
	st.MarkReset(w.PrefillReady, w.DecodeReady)
	return d, st
}

// TargetOf turns a decision's changes into worker counts, relative to the
// workers serving or starting in sample s (a worker still starting counts:
// the planner asked for it already). A graph keeps one decode worker.
func TargetOf(s schemas.Sample, d schemas.Decision) schemas.Target {
	return schemas.Target{
		Prefill: max(s.PrefillWorkers+s.PrefillStarting+d.DeltaPrefill, 0),
		Decode:  max(s.DecodeWorkers+s.DecodeStarting+d.DeltaDecode, 1),
	}
}

// PerfOf returns p as a PerfModel, or nil when there is none (a nil
// *Profile inside the interface would not compare equal to nil).
func PerfOf(p *schemas.Profile) PerfModel {
	if p == nil {
		return nil
	}
	return p
}
