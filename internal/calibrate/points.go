package calibrate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"plannerbench/schemas"
)

// point is one request's measurement: x the fitted variable (uncached
// prompt tokens, or KV utilisation), y the time in trace ms; n is how
// many requests a bucket's point stands for.
type point struct {
	x, y float64
	n    int
}

// Queueing rules (Result.QueueRule): how a request's TTFT was freed of the
// time it waited.
const (
	// RuleRecorded subtracts what the run recorded of each request:
	// Dynamo's nvext.timing prefill_wait_time_ms (arrival to prefill
	// start), so y starts at prefill_time_ms.
	RuleRecorded = "recorded prefill wait (nvext.timing)"
	// RuleIdle keeps only the requests that met an idle pipeline: no other
	// request between its send and its first token.
	RuleIdle = "idle pipeline (no other request between send and first token)"
)

// minIdleRequests is the fewest idle-pipeline requests calibrate fits on:
// below it, a handful of requests would set the whole curve.
const minIdleRequests = 10

// prefillEvidence is what a run says of prefill cost.
type prefillEvidence struct {
	points []point
	rule   string
	notes  []string
}

// prefillPoints turns each completed request into (uncached prompt tokens,
// prefill ms): its time from prefill start (or send, for an idle pipeline)
// to first token, less the KV transfer of a remote prefill and one decode
// step (decodeStep), which is what the first token costs after the
// prompt. What remains still carries the wait for a step
// boundary at the decode worker, which only adds: the lower envelope takes
// care of it.
//
// With separate false every request counts with its whole TTFT (the
// estimator before queueing was taken out, kept for the tests).
func prefillPoints(recs []schemas.RequestRecord, base *schemas.Profile, separate bool) (prefillEvidence, error) {
	var ev prefillEvidence
	cachedReported := false
	for _, r := range recs {
		if r.CachedTokens >= 0 {
			cachedReported = true
			break
		}
	}
	if cachedReported {
		ev.notes = append(ev.notes, "prefill is fitted against uncached prompt tokens (usage.prompt_tokens_details.cached_tokens; a request without it had none cached, as vLLM omits zero)")
	} else {
		ev.notes = append(ev.notes, "no request reported usage.prompt_tokens_details.cached_tokens: prefill is fitted against whole prompts, right when nothing was cached and too cheap per token when prefixes were reused (prefix caching on)")
	}
	timed := 0
	for _, r := range recs {
		if !math.IsNaN(r.PrefillMS) {
			timed++
		}
	}
	use := recs
	switch {
	case !separate:
		ev.rule = "none (TTFT as measured)"
	case timed*2 >= len(recs):
		ev.rule = RuleRecorded
	default:
		ev.rule = RuleIdle
		use = idleRequests(recs)
		ev.notes = append(ev.notes, fmt.Sprintf("no per-request prefill wait recorded (nvext.timing): %d of %d requests met an idle pipeline and are the prefill evidence", len(use), len(recs)))
		if len(use) < minIdleRequests {
			return ev, fmt.Errorf("prefill: only %d requests met an idle pipeline (want %d) and the run recorded no prefill wait: every TTFT includes queueing of unknown length; rerun with nvext.timing (Dynamo's frontend) or with a lighter load", len(use), minIdleRequests)
		}
	}
	use = preferRemote(use, &ev)
	meanITL := 0
	for _, r := range use {
		step, pure := decodeStep(r)
		if !pure {
			meanITL++
		}
		y := r.TTFTMS
		if ev.rule == RuleRecorded {
			if math.IsNaN(r.PrefillMS) {
				continue
			}
			y = r.PrefillMS
		}
		prompt := int(r.PromptTokens)
		if prompt <= 0 {
			prompt = int(r.InputLength)
		}
		if r.PrefillLocal != 1 {
			y -= float64(base.TransferTime(prompt)) / float64(time.Millisecond)
		}
		ev.points = append(ev.points, point{x: float64(prompt - max(0, int(r.CachedTokens))), y: y - step})
	}
	if meanITL > 0 {
		ev.notes = append(ev.notes, fmt.Sprintf("%d requests have no itl_decode_ms (an AIPerf export, or a file written before it): their first step is taken as their mean ITL", meanITL))
	}
	return ev, nil
}

// decodeStep is the request's decode step: itl_decode_ms, or its mean ITL
// (pure false) in files without it.
func decodeStep(r schemas.RequestRecord) (ms float64, pure bool) {
	if math.IsNaN(r.ITLDecodeMS) {
		return r.ITLMS, false
	}
	return r.ITLDecodeMS, true
}

// preferRemote keeps only the requests prefilled on a prefill worker when
// the run says where each prefill ran and at least minForQuantile were
// remote. A local prefill's first token ends a decode step that carried
// the decode batch and every other prompt's chunk of that step besides
// its own, and its decode part is priced at the KV of that instant, not
// the request's typical step: its estimate scatters by several ms both
// ways (the seed at disagg_router: 2nd percentile -5 ms local, +0.2 ms
// remote).
func preferRemote(recs []schemas.RequestRecord, ev *prefillEvidence) []schemas.RequestRecord {
	var remote []schemas.RequestRecord
	local := 0
	for _, r := range recs {
		switch r.PrefillLocal {
		case 0:
			remote = append(remote, r)
		case 1:
			local++
		}
	}
	if local == 0 || len(remote) < minForQuantile {
		return recs
	}
	ev.notes = append(ev.notes, fmt.Sprintf("%d requests were prefilled by their decode worker (conditional disaggregation): left out, the %d prefilled on prefill workers are the prefill evidence", local, len(remote)))
	return remote
}

// idleRequests returns the requests whose [send, first token] overlaps no
// other request's.
func idleRequests(recs []schemas.RequestRecord) []schemas.RequestRecord {
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return recs[idx[a]].SentAt.Before(recs[idx[b]].SentAt) })
	var out []schemas.RequestRecord
	var reach time.Time // the latest first token of the requests sent before
	for k, i := range idx {
		r := recs[i]
		clearBefore := k == 0 || !reach.After(r.SentAt)
		clearAfter := k == len(idx)-1 || !recs[idx[k+1]].SentAt.Before(r.FirstTokenAt)
		if clearBefore && clearAfter {
			out = append(out, r)
		}
		if r.FirstTokenAt.After(reach) {
			reach = r.FirstTokenAt
		}
	}
	return out
}

// envelopeQuantile is the share of a bucket's requests under its
// envelope point. Waiting for a step boundary only adds (uniform over one
// decode step, 8-27 ms), while the first step against the request's
// typical one scatters both ways by a few percent of a step: the minimum
// of thousands of requests is that scatter's extreme, the 5th percentile
// sits 5% of a step (under 1.5 ms) above the cost. Buckets of fewer than
// minForQuantile requests take their minimum.
const (
	envelopeQuantile = 0.02
	minForQuantile   = 20
)

// lowerEnvelope returns, for each of up to buckets equal-width x buckets
// holding at least atLeast points, a low point (see envelopeQuantile):
// waiting only adds, so the fastest requests of a length are the closest
// to its cost.
func lowerEnvelope(pts []point, buckets, atLeast int, q float64) []point {
	var out []point
	for _, g := range groupByX(pts, buckets, 1) { // a bucket spans one token at least
		if len(g) < atLeast {
			continue
		}
		slices.SortFunc(g, func(a, b point) int { return cmp.Compare(a.y, b.y) })
		if len(g) < minForQuantile {
			out = append(out, g[0])
		} else {
			out = append(out, g[int(q*float64(len(g)-1))])
		}
	}
	return out
}

// bucketMedians returns, for each of buckets equal-width x buckets holding
// at least atLeast points, the mean x and the median y: steps slowed by
// something else (a prefill chunk, a preemption) do not pull the curve.
func bucketMedians(pts []point, buckets, atLeast int) []point {
	var out []point
	for _, g := range groupByX(pts, buckets, 0) {
		if len(g) < atLeast {
			continue
		}
		ys := make([]float64, len(g))
		var sx float64
		for i, p := range g {
			ys[i], sx = p.y, sx+p.x
		}
		slices.Sort(ys)
		out = append(out, point{x: sx / float64(len(g)), y: ys[len(ys)/2], n: len(g)})
	}
	return out
}

// groupByX splits pts into buckets equal-width x buckets (each at least
// minWidth wide; all in one when they share one x) and returns the
// non-empty ones in x order.
func groupByX(pts []point, buckets int, minWidth float64) [][]point {
	if len(pts) == 0 {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.x), math.Max(hi, p.x)
	}
	width := math.Max((hi-lo)/float64(buckets), minWidth)
	if width <= 0 {
		width = 1
	}
	groups := make([][]point, buckets)
	for _, p := range pts {
		k := min(int((p.x-lo)/width), buckets-1)
		groups[k] = append(groups[k], p)
	}
	return slices.DeleteFunc(groups, func(g []point) bool { return len(g) == 0 })
}

// decodePoints pairs each request's decode step (itl_decode_ms, or its
// mean ITL in files without it) with the KV utilisation at the step
// (decode_step_at; over the request's decode in files without it): its
// own decode worker's (the request's decode_worker_id in the timeline's
// kv_usage_by_worker), or else the decode workers' mean. On a busy
// conditional-disaggregation worker a request's pure steps come while few
// prompts were prefilling, early in its decode: paired with its whole
// decode's KV, the seed at disagg_router fitted -10% at KV 0.5.
//
// The mean misleads where routing loads the workers unevenly: the KV
// router (the seed at disagg_router: buckets at 0.64-0.78 of 14.6-16.8 ms
// against a truth of 20-22 ms), and every router in the drain, after the
// last request is sent (an overloaded seed run: one worker full to the
// end while the other emptied, the mean half the truth). Requests paired
// with the mean and still decoding after the last send are left out.
func decodePoints(recs []schemas.RequestRecord, timeline []schemas.TimelineRow, traceTime func(time.Time) float64, dropDrain bool) (pts []point, notes []string) {
	var lastSend time.Time
	for _, r := range recs {
		if r.SentAt.After(lastSend) {
			lastSend = r.SentAt
		}
	}
	meanITL, drained, own, shared := 0, 0, 0, 0
	for _, r := range recs {
		u, ok := 0.0, false
		if r.DecodeWorker >= 0 {
			u, ok = stepKV(timeline, r, traceTime, r.DecodeWorker)
		}
		if ok {
			own++
		} else {
			if dropDrain && r.EndAt.After(lastSend) {
				drained++
				continue
			}
			if u, ok = stepKV(timeline, r, traceTime, -1); !ok {
				continue
			}
			shared++
		}
		y, pure := decodeStep(r)
		if !pure {
			meanITL++
		}
		pts = append(pts, point{x: u, y: y})
	}
	if own > 0 || shared > 0 {
		notes = append(notes, fmt.Sprintf("decode: %d requests paired with their own decode worker's KV (decode_worker_id, kv_usage_by_worker), %d with the decode workers' mean", own, shared))
	}
	if drained > 0 {
		notes = append(notes, fmt.Sprintf("decode: %d requests without their own worker's KV and still decoding after the last send are left out (the decode workers drain unevenly then)", drained))
	}
	if meanITL > 0 {
		notes = append(notes, fmt.Sprintf("%d requests have no itl_decode_ms (an AIPerf export, or a file written before it): their mean ITL also counts steps that carried a prefill chunk and preemption gaps, so the decode step comes out slow", meanITL))
	}
	return pts, notes
}

// rowsWithin returns the timeline rows within [from, to], or the first
// one after when none falls inside (the sample that saw the span); none
// when the span lies outside the timeline (a request answered after the
// last sample).
func rowsWithin(timeline []schemas.TimelineRow, from, to float64) []schemas.TimelineRow {
	if len(timeline) == 0 || from > timeline[len(timeline)-1].TS || to < timeline[0].TS {
		return nil
	}
	i := sort.Search(len(timeline), func(i int) bool { return timeline[i].TS >= from })
	j := i
	for j < len(timeline) && timeline[j].TS <= to {
		j++
	}
	if j > i {
		return timeline[i:j]
	}
	return timeline[min(i, len(timeline)-1):][:1]
}

// stepKV is the KV usage decode worker id (-1: the decode workers' mean)
// had at the request's step (decode_step_at), or over its decode in files
// without that instant.
func stepKV(timeline []schemas.TimelineRow, r schemas.RequestRecord, traceTime func(time.Time) float64, id int64) (float64, bool) {
	if !r.DecodeStepAt.IsZero() {
		return kvAt(timeline, traceTime(r.DecodeStepAt), id)
	}
	return kvOver(timeline, traceTime(r.FirstTokenAt), traceTime(r.EndAt), id)
}

// usage is a sample's KV usage of decode worker id (-1: the decode
// workers' mean); false when the sample does not name the worker.
func usage(row schemas.TimelineRow, id int64) (float64, bool) {
	if id < 0 {
		return row.KVUsage, true
	}
	u, ok := row.KVUsageByWorker[strconv.FormatInt(id, 10)]
	return u, ok
}

// kvOver is decode worker id's (-1: the mean) mean KV usage over [from,
// to], from the samples that name it; false when none does.
func kvOver(timeline []schemas.TimelineRow, from, to float64, id int64) (float64, bool) {
	var sum float64
	n := 0
	for _, row := range rowsWithin(timeline, from, to) {
		if u, ok := usage(row, id); ok {
			sum += u
			n++
		}
	}
	return sum / float64(max(n, 1)), n > 0
}

// kvAt is decode worker id's KV usage at t (the decode workers' mean for
// id -1), interpolated between the samples around t: a single sample is
// up to a pull interval away, and over a narrow KV range that scatter in
// x flattens the fitted slope. False outside the timeline, or where the
// samples around t do not name the worker.
func kvAt(timeline []schemas.TimelineRow, t float64, id int64) (float64, bool) {
	if len(timeline) == 0 || t < timeline[0].TS || t > timeline[len(timeline)-1].TS {
		return 0, false
	}
	i := sort.Search(len(timeline), func(i int) bool { return timeline[i].TS >= t })
	after, okAfter := usage(timeline[i], id)
	if i == 0 || timeline[i].TS == t {
		return after, okAfter
	}
	before, okBefore := usage(timeline[i-1], id)
	switch {
	case okBefore && okAfter:
		w := (t - timeline[i-1].TS) / (timeline[i].TS - timeline[i-1].TS)
		return before + w*(after-before), true
	case okAfter:
		return after, true
	default:
		return before, okBefore
	}
}
