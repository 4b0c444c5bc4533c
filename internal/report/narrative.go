package report

import (
	"fmt"
	"strings"

	"plannerbench/schemas"
)

// drainedBelow is the queue length counted as drained (the planner's
// samples are averages over a pull interval, so rarely exactly zero).
const drainedBelow = 0.5

// Narrative is a short account of a case's run computed from its
// timeline: how its queues behaved, how far the planner scaled and when
// the GPU budget held it back. Empty without a timeline.
func Narrative(c Case, rows []schemas.TimelineRow) string {
	if len(rows) == 0 {
		return ""
	}
	end := rows[len(rows)-1].TS
	var parts []string
	parts = append(parts, queueStory("prefill queue", rows, end, func(r schemas.TimelineRow) float64 { return r.PrefillQueueSize }))
	parts = append(parts, queueStory("decode queue (num_queued_request)", rows, end, func(r schemas.TimelineRow) float64 { return r.TotalQueuedRequests }))
	parts = append(parts, kvStory(rows))
	parts = append(parts, scalingStory(c, rows))
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return fmt.Sprintf("%s (%.0f trace s): %s.", c.ID, end, strings.Join(out, "; "))
}

// queueStory says whether a queue stayed empty, drained after each peak,
// or never drained after some point.
func queueStory(name string, rows []schemas.TimelineRow, end float64, get func(schemas.TimelineRow) float64) string {
	peak, peakAt := 0.0, 0.0
	lastDrained := -1.0
	for _, r := range rows {
		v := get(r)
		if v > peak {
			peak, peakAt = v, r.TS
		}
		if v < drainedBelow {
			lastDrained = r.TS
		}
	}
	switch {
	case peak < drainedBelow:
		return name + " stayed empty"
	case lastDrained < 0:
		return fmt.Sprintf("the %s was never empty (peak %.1f at t=%.0f s)", name, peak, peakAt)
	case end-lastDrained > 0.1*end && end-lastDrained >= 10:
		return fmt.Sprintf("the %s never drained after t=%.0f s (peak %.1f at t=%.0f s)", name, lastDrained, peak, peakAt)
	default:
		return fmt.Sprintf("the %s peaked at %.1f at t=%.0f s and drained", name, peak, peakAt)
	}
}

// kvStory reports the decode KV load's peak.
func kvStory(rows []schemas.TimelineRow) string {
	peak, at := 0.0, 0.0
	for _, r := range rows {
		if r.AverageKVLoad > peak {
			peak, at = r.AverageKVLoad, r.TS
		}
	}
	if peak == 0 {
		return ""
	}
	return fmt.Sprintf("average_kv_load peaked at %.2f at t=%.0f s", peak, at)
}

// scalingStory reports the worker range, how often the planner changed
// the deployment and when the GPU budget stopped it.
func scalingStory(c Case, rows []schemas.TimelineRow) string {
	minP, maxP, minD, maxD := rows[0].NumPrefillWorkers, rows[0].NumPrefillWorkers, rows[0].NumDecodeWorkers, rows[0].NumDecodeWorkers
	maxPAt, maxDAt := rows[0].TS, rows[0].TS
	changes := 0
	budgetAt := -1.0
	for _, r := range rows {
		if r.NumPrefillWorkers > maxP {
			maxP, maxPAt = r.NumPrefillWorkers, r.TS
		}
		if r.NumDecodeWorkers > maxD {
			maxD, maxDAt = r.NumDecodeWorkers, r.TS
		}
		minP, minD = min(minP, r.NumPrefillWorkers), min(minD, r.NumDecodeWorkers)
		if r.Decided && (r.DeltaPrefill != 0 || r.DeltaDecode != 0) {
			changes++
		}
		if budgetAt < 0 && r.Decided && strings.Contains(r.Reason, "budget") {
			budgetAt = r.TS
		}
	}
	if minP == maxP && minD == maxD {
		return fmt.Sprintf("it kept %dp%dd throughout", maxP, maxD)
	}
	role := func(name string, lo, hi int32, at float64) string {
		if lo == hi {
			return fmt.Sprintf("kept %d %s workers", lo, name)
		}
		return fmt.Sprintf("ran %d to %d %s workers (%d first at t=%.0f s)", lo, hi, name, hi, at)
	}
	s := fmt.Sprintf("the planner changed the deployment %d times: it %s and %s",
		changes, role("prefill", minP, maxP, maxPAt), role("decode", minD, maxD, maxDAt))
	if budgetAt >= 0 {
		s += fmt.Sprintf(", limited by the %d-GPU budget from t=%.0f s", c.Spec.Planner.MaxGPUBudget, budgetAt)
	}
	return s
}
