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
// samples (oldest first; the last one is the deployment as it stands) and
// apply what was decided through scale. The load planner applies each
// change as it decides it, as Dynamo's does, so a refused change is known
// before the next one is weighed; the other planners ask for their target
// at once. at is the interval's end in trace time. The state carried
// forward records the ready workers the next interval starts from, which
// the load planner's skip rule compares against.
func Tick(cfg schemas.PlannerConfig, perf PerfModel, st State, at time.Duration, window []schemas.Sample, scale Scaler) (schemas.Decision, State) {
	return tickWith(cfg, st, at, window, scale, func(st State, act actuator) (schemas.Decision, State) {
		return decide(cfg, perf, st, window, act)
	})
}

// decider decides one interval from st, asking act for each load-planner
// change (nil: take every change as done).
type decider func(st State, act actuator) (schemas.Decision, State)

// tickWith is Tick with the decision made by decideFn: what is decided
// and what is applied are kept apart, so that Follow can replay a
// recorded decision through the same application.
func tickWith(cfg schemas.PlannerConfig, st State, at time.Duration, window []schemas.Sample, scale Scaler, decideFn decider) (schemas.Decision, State) {
	if !st.ResetKnown && len(window) > 0 {
		st.MarkReset(window[0].PrefillWorkers, window[0].DecodeWorkers)
	}
	if len(window) == 0 {
		d, st := decideFn(st, nil)
		d.At = at
		return d, st
	}
	last := window[len(window)-1]
	target := schemas.Target{Prefill: last.PrefillWorkers + last.PrefillStarting, Decode: last.DecodeWorkers + last.DecodeStarting}
	var after *schemas.Workers
	ask := func(t schemas.Target) error {
		w, err := scale(t)
		if err != nil {
			return err
		}
		target, after = t, &w
		return nil
	}
	stepwise := modeOf(cfg.Mode).stepwise
	blocking := stepwise && cfg.BlockingScaling
	var changes []Change
	act := func(role string, delta int) (bool, error) {
		if blocking { // applied one at a time by the driver (Blocking.Next)
			changes = append(changes, Change{Role: role, Delta: delta})
			return true, nil
		}
		t := target
		if role == rolePrefill {
			t.Prefill += delta
		} else {
			t.Decode += delta
		}
		if err := ask(t); err != nil {
			return false, err
		}
		return true, nil
	}
	d, st := decideFn(st, act)
	d.At = at
	if !stepwise && d.Changes() {
		if err := ask(TargetOf(last, d)); err != nil {
			d.Reason += "; scaling failed: " + err.Error()
		}
	}
	st.MarkReset(last.PrefillWorkers, last.DecodeWorkers)
	st.Blocking = nil
	if len(changes) > 0 {
		st.Blocking = &Blocking{Pending: changes}
	}
	if after != nil {
		d.Scaled = true
		st.MarkReset(after.PrefillReady, after.DecodeReady)
	}
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
