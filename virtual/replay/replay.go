// Package replay evaluates a planner on a whole trace in virtual time: the
// simulator's engine, the trace's arrivals, the planner's metric pulls and
// adjustments all run as events of one discrete-event clock, with no
// sockets and no waiting. It writes the same summary, timeline, TensorBoard
// and request Parquet files a real run writes.
package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"time"

	"plannerbench/deploy/sim"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/extplanner"
	"plannerbench/internal/planner"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// ErrEmptyTrace: the trace has no request to replay.
var ErrEmptyTrace = errors.New("the trace holds no requests")

// Epoch is the wall-clock origin of replay records: virtual time zero.
var Epoch = time.Unix(0, 0).UTC()

// Options configure one replay.
type Options struct {
	TracePath string
	Profile   *schemas.Profile
	// Graph is the starting deployment (its worker counts) and engine settings.
	Graph   sim.GraphConfig
	Planner schemas.PlannerConfig
	SLO     results.SLO
	// Case, when set, is written to OutDir as case.json, so that
	// `plannerbench report` compares replayed cases as it does live ones.
	Case *schemas.Case
	// TraceBlockSize is the trace's tokens per hash id (0: the mooncake
	// format's 512), used to give prompts the prefix identity the live
	// load generator's text has.
	TraceBlockSize int
	// OutDir, when set, receives the case folder a live case leaves
	// (casefolder.Write): requests.parquet, gpu.parquet, AIPerf's exports,
	// timeline.parquet, tensorboard/, case.json and summary.json.
	OutDir string
	// HTTP calls an external planner (mode external, protocol http); nil
	// uses http.DefaultClient. The replay's clock waits for each answer.
	HTTP *http.Client
	// Timing, when set, makes the replay keep a live case's timing: when
	// each metric pull took its snapshot and when each decision took
	// effect. Nil pulls and decides on the dot.
	Timing *Timing
	// Follow, when set, replaces the planner's decisions with a live run's
	// (decisions.jsonl, matched by interval number) and applies them as the
	// planner would (planner.Follow): the engine's answer to the live
	// scaling, an open loop that repeats as a fixed deployment does.
	Follow []schemas.Decision
}

// Timing is a live run's lateness against its nominal instants, in trace
// time: pull k is due at k metric intervals, interval n's decision at n
// adjustment intervals. A live case has some (the scrape's and the
// activities' round trips, times the time scale), and a planner that sits
// near a threshold can decide differently for it, so a replay that is to
// agree with one live run keeps them (see TimingOf).
type Timing struct {
	// SentAt[i] is when request i of the trace was sent, since the case
	// started; negative or past the end: at its timestamp. A live driver's
	// sends are late by its dispatch lateness (and, before it kept the
	// absolute schedule, by the offset its stalls added).
	SentAt []time.Duration
	// AckAt[i] is when request i's response headers came back: the
	// simulator writes them once its engine has taken the request, which
	// it did somewhere in [SentAt[i], AckAt[i]] (Draw picks an instant).
	AckAt []time.Duration
	// SampleLate[k-1] is how late pull k took its snapshot; negative: pull
	// k was not taken. Pulls past the end are on time.
	SampleLate []time.Duration
	// ObserveLate[n-1] is how late interval n's samples were read: its
	// window holds the interval's samples taken by then.
	ObserveLate []time.Duration
	// ApplyLate[n-1] is how late interval n's decision took effect (zero:
	// when its samples were read). Intervals past the end of either are
	// on time.
	ApplyLate []time.Duration
	// BlockedFor[n-1] is how long interval n's blocking adjustment kept
	// the live planner waiting, from the interval's end (zero: it did not
	// block). Live polls see the deployment through activities that take
	// time, so a worker ready close to a poll can be seen one poll later
	// live than in a replay; the replay waits at least as long as the
	// live run did.
	BlockedFor []time.Duration
	// ChangeEnded[n-1][k] is when, after interval n's end, the live wait
	// for the interval's change k ended and the next change was applied
	// (nil: not recorded, BlockedFor stands for the last).
	ChangeEnded [][]time.Duration
	// Skipped names the lines of the live case's samples.jsonl and
	// decisions.jsonl that did not parse ("path:line: cause"): the timing
	// is that of the others.
	Skipped []string
}

// late returns entry i-1 of ds, or zero past the end.
func late(ds []time.Duration, i int) time.Duration {
	if i >= 1 && i <= len(ds) {
		return ds[i-1]
	}
	return 0
}

// Result is what a replay measured.
type Result struct {
	Summary   results.Summary         `json:"summary"`
	Timeline  []schemas.TimelineRow   `json:"-"`
	Decisions []schemas.Decision      `json:"-"`
	Records   []schemas.RequestRecord `json:"-"`
	// GPU holds the modelled GPU samples, one a worker a metric pull.
	GPU []schemas.GPUSample `json:"-"`
	// Samples are the metric pulls, as a live case writes to samples.jsonl.
	Samples []schemas.Sample `json:"-"`
}

// arrival is the next trace row, read one ahead of the clock.
type arrival struct {
	index  int64
	rec    schemas.TraceRecord
	hashes []uint64
	record schemas.RequestRecord
	first  time.Duration
	last   time.Duration
	// gaps are the ms between its tokens so far (for its decode step).
	gaps []float64
	done func(at time.Duration, reason sim.FinishReason)
}

// Token notes the first and latest token and the gap since the one before.
func (a *arrival) Token(now time.Duration, n int) {
	if n == 1 {
		a.first = now
	} else {
		a.gaps = append(a.gaps, float64(now-a.last)/float64(time.Millisecond))
	}
	a.last = now
}

// Done ends the request.
func (a *arrival) Done(now time.Duration, reason sim.FinishReason) { a.done(now, reason) }

// Prefill records what Dynamo's frontend would return in nvext.timing and
// what vLLM would in usage.prompt_tokens_details (only when some tokens
// were cached: vLLM omits it at zero).
func (a *arrival) Prefill(p sim.PrefillInfo) {
	r := &a.record
	r.PrefillWaitMS = float64(p.Start-r.SentAt.Sub(Epoch)) / float64(time.Millisecond)
	if p.CachedTokens > 0 {
		r.CachedTokens = int32(p.CachedTokens)
	}
	r.PrefillLocal, r.DecodeWorker = 0, int64(p.DecodeWorker)
	if p.Local() {
		r.PrefillLocal = 1
	}
}

// An arrival hears of its prefill (a method whose signature drifted would
// otherwise silently stop being called).
var _ sim.PrefillObserver = (*arrival)(nil)

// Run replays opts.TracePath; ctx is checked between metric pulls.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if p := opts.Planner; p.Mode == schemas.PlannerExternal && (p.External == nil || p.External.Protocol != schemas.ProtocolHTTP) {
		return nil, errors.New("replay: an external planner must speak the http protocol here (dynamo-virtual's planner runs in wall time: run it as a live case)")
	}
	eng, err := sim.NewEngine(opts.Profile, opts.Graph)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(opts.TracePath)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	reader := schemas.NewTraceReader(f, opts.TracePath)
	r := &runner{eng: eng, opts: opts, reader: reader, res: &Result{}}
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	if opts.OutDir != "" {
		if err := r.write(); err != nil {
			return nil, err
		}
	}
	return r.res, nil
}

type runner struct {
	eng      *sim.Engine
	opts     Options
	reader   *schemas.TraceReader
	res      *Result
	index    int64
	inFlight int
	traceEnd bool
	readErr  error
	lastSnap *sim.Snapshot
	state    planner.State
	samples  []schemas.Sample
	// intervalStart is when the planner's current interval began (the
	// last decision, or the end of a blocking adjustment); blocked is set
	// while a blocking adjustment is applied.
	intervalStart time.Duration
	blocked       bool
}

func (r *runner) run(ctx context.Context) error {
	r.scheduleNext()
	pull := r.opts.Planner.MetricPullingInterval.D()
	adjust := r.opts.Planner.AdjustmentInterval.D()
	if r.opts.Timing != nil {
		r.scheduleTimed(ctx, pull, adjust)
	} else {
		// The interval's end, rounded to the pull it falls on, so that a
		// 10 s interval of 1 s pulls decides on its 10th pull.
		ticksPerAdjust := max(1, int(math.Round(float64(adjust)/float64(pull))))
		var onTick func()
		onTick = func() {
			r.sample(ctx, time.Duration(ticksPerAdjust)*pull)
			if !r.done() {
				r.eng.Schedule(r.eng.Now()+pull, onTick)
			}
		}
		r.eng.Schedule(pull, onTick)
	}
	for {
		next, ok := r.eng.NextEventAt()
		if !ok {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Advance a metric interval at a time, so cancellation is prompt.
		r.eng.AdvanceTo(next + pull)
	}
	if r.readErr != nil {
		return r.readErr
	}
	if r.index == 0 {
		return fmt.Errorf("replay %s: %w", r.opts.TracePath, ErrEmptyTrace)
	}
	r.res.Samples = r.samples
	r.res.Summary, r.res.Timeline = results.BuildCase(r.res.Records, r.samples, r.res.Decisions, Epoch, 1, r.opts.SLO, pull)
	r.res.Summary.Energy = results.EnergyOf(r.res.GPU, r.res.Records)
	return nil
}

// done reports that the trace is over and every request ended.
func (r *runner) done() bool { return r.traceEnd && r.inFlight == 0 }

func (r *runner) traceBlock() int {
	if r.opts.TraceBlockSize > 0 {
		return r.opts.TraceBlockSize
	}
	return 512
}

// scheduleNext reads the next row and schedules its arrival.
func (r *runner) scheduleNext() {
	if !r.reader.Next() {
		r.traceEnd = true
		r.readErr = r.reader.Err()
		return
	}
	rec := *r.reader.Record()
	a := &arrival{index: r.index, rec: rec}
	if r.opts.Graph.PrefixCaching {
		a.hashes = sim.TraceBlockHashes(rec.HashIDs, rec.InputLength, r.traceBlock(), r.opts.Graph.BlockSize, r.index)
	}
	a.rec.HashIDs = nil // not needed past here
	r.index++
	at := time.Duration(rec.Timestamp) * time.Millisecond
	if tm := r.opts.Timing; tm != nil && a.index < int64(len(tm.SentAt)) && tm.SentAt[a.index] >= 0 {
		at = tm.SentAt[a.index]
	}
	r.eng.Schedule(at, func() { r.arrive(a) })
}

func (r *runner) arrive(a *arrival) {
	now := r.eng.Now()
	a.done = func(at time.Duration, reason sim.FinishReason) { r.finish(a, at, reason) }
	a.record = schemas.NewRequestRecord(a.index, &a.rec)
	a.record.ScheduledAt, a.record.SentAt, a.record.LatenessMS, a.record.Attempt = Epoch.Add(now), Epoch.Add(now), 0, 1
	_, err := r.eng.Submit(&sim.Request{
		PromptTokens: a.rec.InputLength, MaxTokens: a.rec.OutputLength, BlockHashes: a.hashes,
		Observer: a,
	})
	if err != nil {
		a.record.Status, a.record.ErrorClass, a.record.HTTPStatus, a.record.Error = schemas.StatusError, schemas.ErrClassHTTP, 400, err.Error()
		r.res.Records = append(r.res.Records, a.record)
	} else {
		r.inFlight++
	}
	r.scheduleNext()
}

func (r *runner) finish(a *arrival, at time.Duration, reason sim.FinishReason) {
	r.inFlight--
	rec := &a.record
	rec.FinishReason = string(reason)
	rec.PromptTokens, rec.HTTPStatus = int32(a.rec.InputLength), 200
	n := a.rec.OutputLength
	var first time.Time
	if a.first > 0 {
		first = Epoch.Add(a.first)
		rec.Chunks, rec.CompletionTokens = int32(n), int32(n)
	}
	rec.SetTimings(rec.SentAt, first, Epoch.Add(at), n, 1)
	if a.first > 0 && !math.IsNaN(rec.PrefillWaitMS) {
		rec.PrefillMS = float64(a.first-rec.SentAt.Sub(Epoch))/float64(time.Millisecond) - rec.PrefillWaitMS
	}
	rec.SetDecodeStep(first, a.gaps, 1)
	a.gaps = nil
	rec.Status = schemas.StatusOK
	if reason != sim.FinishLength {
		rec.Status, rec.ErrorClass = schemas.StatusError, schemas.ErrClassStream
	}
	r.res.Records = append(r.res.Records, *rec)
}

// sample pulls metrics; at the end of an adjustment interval (adjust
// after the interval began) the planner ticks on the interval's samples,
// scaling the engine directly. Nothing is decided while a blocking
// adjustment is being applied.
func (r *runner) sample(ctx context.Context, adjust time.Duration) {
	s := r.snapshot(r.eng.Now())
	if r.blocked || s.At < r.intervalStart+adjust {
		return
	}
	r.decide(ctx, s.At, r.windowOf(r.intervalStart, s.At), nil)
}

// windowOf returns the samples taken in [from, to], oldest first: an
// interval's window starts with the sample at its first instant (the
// last one of the interval before, or the first after a blocking
// adjustment), as a live case's Observe window does; the reference
// collects one at once after each reset (about 11 samples over 10 s).
func (r *runner) windowOf(from, to time.Duration) []schemas.Sample {
	var window []schemas.Sample
	for i := len(r.samples) - 1; i >= 0 && r.samples[i].At >= from; i-- {
		if r.samples[i].At <= to {
			window = append(window, r.samples[i])
		}
	}
	slices.Reverse(window)
	return window
}

// snapshot takes a metric sample stamped at (its nominal instant) and the
// modelled GPU samples since the last one.
func (r *runner) snapshot(at time.Duration) schemas.Sample {
	snap := r.eng.Snapshot()
	s := snap.PlannerSample(r.opts.Graph.GPUsPerEngine)
	s.At = at
	r.res.GPU = append(r.res.GPU, sim.ModelledGPUs(snap, r.lastSnap, Epoch)...)
	r.lastSnap = &snap
	r.samples = append(r.samples, s)
	return s
}

// scheduleTimed runs the metric pulls and the decisions on their own
// clocks, each late by opts.Timing: a decision's window holds the
// interval's samples taken by the time it is made, as a live Observe
// reads samples.jsonl (a decision made before its interval's last pull
// misses that sample, as a live one can).
func (r *runner) scheduleTimed(ctx context.Context, pull, adjust time.Duration) {
	tm := r.opts.Timing
	var onPull func(k int)
	onPull = func(k int) {
		if late(tm.SampleLate, k) >= 0 {
			r.snapshot(time.Duration(k) * pull)
		}
		if !r.done() {
			next := k + 1
			r.eng.Schedule(time.Duration(next)*pull+max(late(tm.SampleLate, next), 0), func() { onPull(next) })
		}
	}
	// A decision reads its samples a nanosecond after its instant, so that
	// a pull on time at the same instant is in its window, as the live
	// collector's write comes before the Observe activity that reads it.
	observeAt := func(n int) time.Duration {
		return time.Duration(n)*adjust + late(tm.ObserveLate, n) + time.Nanosecond
	}
	var onObserve func(n int)
	onObserve = func(n int) {
		to := time.Duration(n)*adjust + r.state.Offset
		window := r.windowOf(to-adjust, to)
		apply := late(tm.ApplyLate, n)
		if apply <= 0 { // nothing was scaled live: decide as the samples are read
			apply = late(tm.ObserveLate, n)
		}
		// The next interval's read waits for this decision when it blocks
		// (its end moves the intervals, r.state.Offset).
		next := func() {
			if !r.done() {
				r.eng.Schedule(max(observeAt(n+1)+r.state.Offset, r.eng.Now()), func() { onObserve(n + 1) })
			}
		}
		r.eng.Schedule(to+apply+time.Nanosecond, func() { r.decide(ctx, to, window, next) })
	}
	r.eng.Schedule(pull+max(late(tm.SampleLate, 1), 0), func() { onPull(1) })
	r.eng.Schedule(observeAt(1), func() { onObserve(1) })
}

// decide runs the planner's tick for the interval ending at on its
// samples, scaling the engine directly; then (after a blocking
// adjustment has been applied, when it blocks) it starts the next
// interval and calls then, if set.
func (r *runner) decide(ctx context.Context, at time.Duration, window []schemas.Sample, then func()) {
	var d schemas.Decision
	var st planner.State
	if cfg := r.opts.Planner; r.opts.Follow != nil {
		d, st = planner.Follow(cfg, r.state, at, window, r.followed(r.state.Intervals+1), r.scale)
	} else if planner.IsExternal(cfg.Mode) {
		d, st = planner.TickExternal(cfg, r.state, at, window, r.askExternal(ctx, at, window), r.scale)
	} else {
		d, st = planner.Tick(cfg, planner.PerfOf(r.opts.Profile), r.state, at, window, r.scale)
	}
	r.state = st
	// next records the decision and starts the interval beginning at start.
	next := func(d schemas.Decision, start time.Duration) {
		r.blocked, r.intervalStart = false, start
		r.res.Decisions = append(r.res.Decisions, d)
		if then != nil {
			then()
		}
	}
	if st.Blocking == nil {
		next(d, at)
		return
	}
	r.blocked = true
	var poll func()
	poll = func() {
		now := r.eng.Now()
		w := r.workers()
		for {
			step := r.state.Blocking.Next(now, w)
			switch {
			case step.Apply != nil:
				nw, err := r.scale(*step.Apply)
				if err != nil {
					r.state.Blocking.Failed(now, err)
					continue
				}
				d.Scaled, w = true, nw
			case step.Wait > 0:
				end := r.liveChangeEnd(d, len(r.state.Blocking.Ended))
				if end > d.At && now >= end && r.state.Blocking.Exited(now) {
					continue // the live run saw this worker gone by now
				}
				at := now + step.Wait
				// A live run's polls read later than their grid instants;
				// with its timing, the replay also looks when the live run
				// ended its wait for this change, so that a change ready by
				// then ends it then, as live, and the next is applied then.
				if end > now && end < at {
					at = end
				}
				r.eng.Schedule(at, poll)
				return
			default:
				finish := func() {
					now := r.eng.Now()
					d, r.state = planner.EndBlocking(r.state, d, now, r.workers())
					next(d, now)
				}
				if end := r.liveBlockEnd(d); end > now {
					r.eng.Schedule(end, finish)
					return
				}
				finish()
				return
			}
		}
	}
	poll()
}

// liveBlockEnd is when, with a live run's timing, that run's blocking
// adjustment for d's interval ended (trace time; d.At when not known).
func (r *runner) liveBlockEnd(d schemas.Decision) time.Duration {
	if tm := r.opts.Timing; tm != nil {
		return d.At + late(tm.BlockedFor, d.Interval)
	}
	return d.At
}

// liveChangeEnd is when, with a live run's timing, that run's wait for
// change k of d's blocking adjustment ended (trace time): the recorded
// instant, or for a change without one the end of the whole adjustment;
// d.At when not known.
func (r *runner) liveChangeEnd(d schemas.Decision, k int) time.Duration {
	if tm := r.opts.Timing; tm != nil && d.Interval >= 1 && d.Interval <= len(tm.ChangeEnded) {
		if ends := tm.ChangeEnded[d.Interval-1]; k < len(ends) {
			return d.At + ends[k]
		}
	}
	return r.liveBlockEnd(d)
}

// followed is the followed run's decision for interval n (zero: none).
func (r *runner) followed(n int) schemas.Decision {
	for _, d := range r.opts.Follow {
		if d.Interval == n {
			return d
		}
	}
	return schemas.Decision{}
}

// scale asks the engine for a target and returns its workers.
func (r *runner) scale(t schemas.Target) (schemas.Workers, error) {
	if err := r.eng.Scale(t.Prefill, t.Decode); err != nil {
		return schemas.Workers{}, err
	}
	return r.workers(), nil
}

// workers are the engine's workers now, as a blocking planner polls them.
func (r *runner) workers() schemas.Workers {
	return schemas.WorkersOf(r.eng.Snapshot().PlannerSample(r.opts.Graph.GPUsPerEngine))
}

// askExternal asks the HTTP planner about the interval ending at (virtual
// time stands still meanwhile).
func (r *runner) askExternal(ctx context.Context, at time.Duration, window []schemas.Sample) planner.Want {
	cfg := r.opts.Planner
	caseID := "replay"
	if r.opts.Case != nil {
		caseID = r.opts.Case.ID
	}
	req := planner.ExternalRequestOf(caseID, cfg, r.state.Intervals+1, at, window)
	client := r.opts.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	return extplanner.WantOf(extplanner.Ask(ctx, client, cfg.External.URL, cfg.External.TimeoutOrDefault(), req))
}

// write stores the replay's case folder as a live case's, its tables
// written once (every record is in memory).
func (r *runner) write() error {
	info := aiperf.Info{CaseID: "replay", Worker: "replay"}
	if c := r.opts.Case; c != nil {
		info.CaseID, info.Model, info.Spec = c.ID, c.Model, c
	}
	return casefolder.Write(r.opts.OutDir, casefolder.Finished{
		Info: info, T0: Epoch,
		Records: r.res.Records, GPU: r.res.GPU,
		Summary: r.res.Summary, Timeline: r.res.Timeline,
	})
}
