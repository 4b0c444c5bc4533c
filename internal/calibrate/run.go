package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Result is a calibrated profile and the fits behind it.
type Result struct {
	Profile schemas.Profile `json:"profile"`
	Prefill Fit             `json:"prefill"`
	Decode  Fit             `json:"decode"`
	// Source says what was read.
	Source string `json:"source"`
}

// FromRun fits prefill time against prompt tokens and the decode step
// against KV utilisation from a case folder (requests/, timeline.parquet,
// case.json), in the trace's time (a live run at time scale s measured
// times s times shorter).
//
// Prefill: a request's TTFT is its prefill, the KV transfer (the base
// profile's bandwidth), its first decode step (taken as its own mean ITL)
// and any queueing or waiting for a step boundary. Queueing only adds, so
// for each prompt-length bucket the fastest request is the prefill's
// lower envelope; those points are fitted with a quadratic.
//
// Decode: a request's mean ITL is the mean of its steps, each priced at
// the KV utilisation of its time; it is paired with the timeline's mean KV
// utilisation over the request's decode. The median ITL of each
// utilisation bucket is fitted with a quadratic, so steps slowed by a
// local prefill do not pull the curve.
func FromRun(ctx context.Context, dir string, base *schemas.Profile) (*Result, error) {
	scale := 1.0
	if data, err := os.ReadFile(filepath.Join(dir, results.CaseFile)); err == nil {
		var c schemas.Case
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, results.CaseFile), err)
		}
		if c.TimeScale > 0 {
			scale = c.TimeScale
		}
	}
	recs, err := results.ReadRequests(ctx, filepath.Join(dir, results.RequestsDir))
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	timeline, err := results.ReadTimeline(ctx, results.TimelinePath(dir))
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	ok := recs[:0]
	for _, r := range recs {
		if r.Status == schemas.StatusOK && r.CompletionTokens > 1 && r.TTFTMS > 0 && r.ITLMS > 0 {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("calibrate %s: no completed request with more than one token", dir)
	}
	t0 := ok[0].ScheduledAt
	for _, r := range ok {
		if r.ScheduledAt.Before(t0) {
			t0 = r.ScheduledAt
		}
	}
	traceTime := func(t time.Time) float64 { return t.Sub(t0).Seconds() * scale }

	prefillX, prefillY := prefillEnvelope(ok, base, scale)
	prefill, err := fitPolynomial("prefill_ms vs prompt tokens", prefillX, prefillY, 2)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	decodeX, decodeY := decodeMedians(ok, timeline, traceTime, scale)
	decode, err := fitPolynomial("decode_step_ms vs KV utilisation", decodeX, decodeY, 2)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	res := &Result{Profile: *base, Prefill: prefill, Decode: decode, Source: dir}
	res.Profile.PrefillMS, res.Profile.DecodeStepMS = prefill.Coeffs, decode.Coeffs
	return res, nil
}

// prefillEnvelope returns, for each of up to 40 prompt-length buckets with
// at least 3 requests, the fastest request's prefill estimate.
func prefillEnvelope(recs []schemas.RequestRecord, base *schemas.Profile, scale float64) (x, y []float64) {
	const buckets, atLeast = 40, 3
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range recs {
		lo, hi = math.Min(lo, float64(r.PromptTokens)), math.Max(hi, float64(r.PromptTokens))
	}
	width := math.Max((hi-lo)/buckets, 1)
	type best struct {
		n    int
		isl  float64
		est  float64
		seen bool
	}
	bs := map[int]*best{}
	for _, r := range recs {
		isl := float64(r.PromptTokens)
		est := r.TTFTMS*scale - float64(base.TransferTime(int(r.PromptTokens)))/1e6 - r.ITLMS*scale
		k := int((isl - lo) / width)
		b := bs[k]
		if b == nil {
			b = &best{}
			bs[k] = b
		}
		b.n++
		if !b.seen || est < b.est {
			b.isl, b.est, b.seen = isl, est, true
		}
	}
	keys := make([]int, 0, len(bs))
	for k := range bs {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		if b := bs[k]; b.n >= atLeast {
			x, y = append(x, b.isl), append(y, b.est)
		}
	}
	return x, y
}

// decodeMedians pairs each request's mean ITL with the mean KV utilisation
// over its decode and returns the median of each of 40 utilisation buckets
// holding at least 3 requests.
func decodeMedians(recs []schemas.RequestRecord, timeline []schemas.TimelineRow, traceTime func(time.Time) float64, scale float64) (x, y []float64) {
	const buckets, atLeast = 40, 3
	type point struct{ util, itl float64 }
	var pts []point
	for _, r := range recs {
		from, to := traceTime(r.FirstTokenAt), traceTime(r.EndAt)
		u, ok := meanKV(timeline, from, to)
		if !ok {
			continue
		}
		pts = append(pts, point{u, r.ITLMS * scale})
	}
	if len(pts) == 0 {
		return nil, nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.util), math.Max(hi, p.util)
	}
	width := (hi - lo) / buckets
	if width <= 0 {
		width = 1
	}
	groups := map[int][]point{}
	for _, p := range pts {
		k := min(int((p.util-lo)/width), buckets-1)
		groups[k] = append(groups[k], p)
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		g := groups[k]
		if len(g) < atLeast {
			continue
		}
		slices.SortFunc(g, func(a, b point) int { return cmpFloat(a.itl, b.itl) })
		var u float64
		for _, p := range g {
			u += p.util
		}
		x, y = append(x, u/float64(len(g))), append(y, g[len(g)/2].itl)
	}
	return x, y
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// meanKV is the mean KVUsage of the timeline rows within [from, to]
// (the nearest row when none falls inside).
func meanKV(timeline []schemas.TimelineRow, from, to float64) (float64, bool) {
	if len(timeline) == 0 {
		return 0, false
	}
	var sum float64
	n := 0
	for _, row := range timeline {
		if row.TS >= from && row.TS <= to {
			sum += row.KVUsage
			n++
		}
	}
	if n > 0 {
		return sum / float64(n), true
	}
	i := sort.Search(len(timeline), func(i int) bool { return timeline[i].TS >= from })
	if i == len(timeline) {
		i--
	}
	return timeline[i].KVUsage, true
}

// errNoArray names a missing .npz array.
var errNoArray = errors.New("array missing")
