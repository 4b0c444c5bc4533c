package replay

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
)

// TimingOf reads a live case's timing noise from what it recorded: when
// each request was sent and answered with headers (sent_at and ack_at
// since t0, the case's start, times the time scale), each sample's
// late_ms (a pull with no sample was not taken) and each decision's
// observed_late_ms and applied_late_ms. pull is the case's metric pulling
// interval. A replay with it (Options.Timing) runs the live case's
// timeline, so that what still differs is the model's.
func TimingOf(records []schemas.RequestRecord, samples []schemas.Sample, decisions []schemas.Decision, t0 time.Time, pull time.Duration, timeScale float64) *Timing {
	if timeScale <= 0 {
		timeScale = 1
	}
	since := func(at time.Time) time.Duration { return time.Duration(float64(at.Sub(t0)) * timeScale) }
	tm := &Timing{}
	for _, r := range records {
		if r.Index < 0 || r.SentAt.IsZero() {
			continue
		}
		tm.SentAt, tm.AckAt = grow(tm.SentAt, int(r.Index)+1, -1), grow(tm.AckAt, int(r.Index)+1, -1)
		tm.SentAt[r.Index] = since(r.SentAt)
		if !r.AckAt.Before(r.SentAt) {
			tm.AckAt[r.Index] = since(r.AckAt)
		}
	}
	if pull > 0 {
		last := 0
		for _, s := range samples {
			last = max(last, int(s.At/pull))
		}
		tm.SampleLate = grow[time.Duration](nil, last, -1) // not taken, unless a sample says otherwise
		for _, s := range samples {
			if k := int(s.At / pull); k >= 1 {
				tm.SampleLate[k-1] = max(ms(s.LateMS), 0)
			}
		}
	}
	for _, d := range decisions {
		if d.Interval < 1 {
			continue
		}
		tm.ObserveLate = grow(tm.ObserveLate, d.Interval, 0)
		tm.ApplyLate = grow(tm.ApplyLate, d.Interval, 0)
		tm.ObserveLate[d.Interval-1] = max(ms(d.ObservedLateMS), 0)
		tm.ApplyLate[d.Interval-1] = max(ms(d.AppliedLateMS), 0)
		if d.BlockedUntil > d.At {
			tm.BlockedFor = grow(tm.BlockedFor, d.Interval, 0)
			tm.BlockedFor[d.Interval-1] = d.BlockedUntil - d.At
		}
		if len(d.ChangesEnded) > 0 {
			tm.ChangeEnded = grow(tm.ChangeEnded, d.Interval, nil)
			ends := make([]time.Duration, len(d.ChangesEnded))
			for k, e := range d.ChangesEnded {
				ends[k] = e - d.At
			}
			tm.ChangeEnded[d.Interval-1] = ends
		}
	}
	return tm
}

// LoadTiming reads the timing of the live case in folder dir (case.json,
// summary.json, requests, samples.jsonl, decisions.jsonl). Lines of the
// appended files that do not parse are left out and named in Skipped.
func LoadTiming(ctx context.Context, dir string) (*Timing, error) {
	spec, err := casefolder.ReadSpec(dir)
	if err != nil {
		return nil, fmt.Errorf("timing of %s: %w", dir, err)
	}
	sum, err := casefolder.ReadSummary(dir)
	if err != nil {
		return nil, fmt.Errorf("timing of %s: %w", dir, err)
	}
	if sum.T0.IsZero() {
		return nil, fmt.Errorf("timing of %s: summary.json has no t0 (written before plannerbench recorded it): the sends cannot be placed", dir)
	}
	recs, err := casefolder.ReadRequests(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("timing of %s: %w", dir, err)
	}
	app, err := casefolder.ReadAppended(dir)
	if err != nil {
		return nil, fmt.Errorf("timing of %s: %w", dir, err)
	}
	tm := TimingOf(recs, app.Samples, app.Decisions, sum.T0, spec.Planner.MetricPullingInterval.D(), spec.TimeScale)
	tm.Skipped = app.Skipped
	return tm, nil
}

// Draw returns a copy of t in which each request reaches the engine at a
// random instant (seeded) between its send and its response headers: the
// live run recorded when it sent, not when the engine took the request,
// and an overloaded queue or a planner near a threshold can answer the
// difference. Replays of several draws show a live run's spread.
func (t *Timing) Draw(seed uint64) *Timing {
	r := rand.New(rand.NewPCG(seed, 0))
	cp := *t
	cp.SentAt = slices.Clone(t.SentAt)
	for i, sent := range t.SentAt {
		if sent >= 0 && i < len(t.AckAt) && t.AckAt[i] >= sent {
			cp.SentAt[i] = sent + time.Duration(r.Float64()*float64(t.AckAt[i]-sent))
		}
	}
	return &cp
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// grow returns ds extended to at least n entries, the new ones fill.
func grow[T any](ds []T, n int, fill T) []T {
	for len(ds) < n {
		ds = append(ds, fill)
	}
	return ds
}
