package planner

import (
	"fmt"

	"plannerbench/schemas"
)

// VirtualState is the environment's memory of a Dynamo planner's
// decisions (protocol dynamo-virtual): the last decision acted on, and the
// one whose workers are not ready yet, to acknowledge when they are.
type VirtualState struct {
	Acted   bool `json:"acted"`
	ActedID int  `json:"acted_id"`
	// Pending is set while the deployment moves to Target for decision
	// PendingID.
	Pending   bool           `json:"pending"`
	PendingID int            `json:"pending_id"`
	Target    schemas.Target `json:"target"`
}

// VirtualStep is one tick of the environment: given the planner's keys and
// the deployment's last sample, it says what to ask of the deployment
// (want) and which decision to acknowledge now (ack >= 0), and returns the
// state to carry. A new decision (an ID above the last one acted on) is
// acted on at once, also while an earlier one is still in flight (the
// planner only writes one then after waiting its maximum); a key it did
// not write keeps that role's current count. A decision is acknowledged
// when its workers are ready: the ready counts equal the target and none
// is starting. The caller acknowledges at once a decision that asked for
// no change or that the budget refused (AckNow), so the planner is not
// left waiting for a change that will not come.
func VirtualStep(st VirtualState, keys schemas.VirtualKeys, last *schemas.Sample) (want Want, ack int, next VirtualState) {
	ack, next = -1, st
	if next.Pending && last != nil && ready(*last, next.Target) {
		ack, next.Pending = next.PendingID, false
	}
	if keys.DecisionID < 0 || (st.Acted && keys.DecisionID <= st.ActedID) {
		why := "no decision yet"
		if st.Acted {
			why = fmt.Sprintf("no new decision (last %d)", st.ActedID)
			if next.Pending {
				why += fmt.Sprintf(", waiting for %dp%dd to be ready", next.Target.Prefill, next.Target.Decode)
			}
		}
		return Want{Reason: "dynamo-virtual: " + why}, ack, next
	}
	t := schemas.Target{Prefill: keys.Prefill, Decode: keys.Decode}
	if last != nil {
		if t.Prefill < 0 {
			t.Prefill = last.PrefillWorkers + last.PrefillStarting
		}
		if t.Decode < 0 {
			t.Decode = last.DecodeWorkers + last.DecodeStarting
		}
	}
	next.Acted, next.ActedID = true, keys.DecisionID
	next.Pending, next.PendingID, next.Target = true, keys.DecisionID, t
	return Want{Target: &t, Reason: fmt.Sprintf("dynamo-virtual decision %d: %dp%dd", keys.DecisionID, t.Prefill, t.Decode)}, ack, next
}

// AckNow reports whether the decision just acted on is to be acknowledged
// in the same tick: it was not applied (the budget refused it, or scaling
// failed: no worker will come), or it asked for the deployment as it
// already stands, ready. A decision that scaled waits for its workers.
func AckNow(next VirtualState, d schemas.Decision, last *schemas.Sample) bool {
	if !next.Pending || next.PendingID != next.ActedID || d.Scaled || last == nil {
		return false
	}
	cur := schemas.Target{Prefill: last.PrefillWorkers + last.PrefillStarting, Decode: last.DecodeWorkers + last.DecodeStarting}
	if cur != next.Target {
		return true // refused or failed
	}
	return ready(*last, next.Target)
}

func ready(s schemas.Sample, t schemas.Target) bool {
	return s.PrefillWorkers == t.Prefill && s.DecodeWorkers == t.Decode && s.PrefillStarting == 0 && s.DecodeStarting == 0
}
