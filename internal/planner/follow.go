package planner

import (
	"fmt"
	"time"

	"plannerbench/schemas"
)

// Follow is Tick with the interval's decision taken from rec, a live
// run's recorded decision for the same interval, instead of decided
// afresh. The bookkeeping (interval count, the window's inputs), the
// blocking and the scaling are Tick's, so a replay that follows a live
// run places every change as the live run did: the engine answering the
// live scaling without the planner's feedback (an open loop), which is
// as repeatable as a fixed deployment, where the closed loop is not (a
// mean near a threshold can tip either way). A zero rec changes nothing.
func Follow(cfg schemas.PlannerConfig, st State, at time.Duration, window []schemas.Sample, rec schemas.Decision, scale Scaler) (schemas.Decision, State) {
	return tickWith(cfg, st, at, window, scale, func(st State, act actuator) (schemas.Decision, State) {
		bookkeeping := cfg
		bookkeeping.Mode = schemas.PlannerNoop
		d, st := decide(bookkeeping, nil, st, window, nil)
		d.Mode = cfg.Mode
		d.Reason = fmt.Sprintf("followed: recorded interval %d: %s", rec.Interval, rec.Reason)
		if len(window) == 0 || !rec.Changes() {
			return d, st
		}
		last := window[len(window)-1]
		d.DeltaPrefill, d.DeltaDecode = rec.DeltaPrefill, rec.DeltaDecode
		d.Prefill, d.Decode = last.PrefillWorkers+d.DeltaPrefill, last.DecodeWorkers+d.DeltaDecode
		if !modeOf(cfg.Mode).stepwise || act == nil {
			return d, st // Tick asks for the target at once
		}
		// A stepwise planner's order (decideLoad): removals before
		// additions, prefill before decode, one step at a time.
		for _, c := range followOrder(rec) {
			if ok, err := act(c.Role, c.Delta); !ok || err != nil {
				d.Reason += fmt.Sprintf("; %s %+d failed: %v", c.Role, c.Delta, err)
			}
		}
		return d, st
	})
}

// followOrder lists a recorded decision's changes in the order the load
// planner makes them: removals first, prefill before decode within each.
func followOrder(rec schemas.Decision) []Change {
	var out []Change
	for _, sign := range []int{-1, 1} {
		for _, c := range []Change{{Role: rolePrefill, Delta: rec.DeltaPrefill}, {Role: roleDecode, Delta: rec.DeltaDecode}} {
			for n := c.Delta * sign; n > 0; n-- {
				out = append(out, Change{Role: c.Role, Delta: sign})
			}
		}
	}
	return out
}
