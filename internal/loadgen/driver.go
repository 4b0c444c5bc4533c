package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sashabaranov/go-openai"

	"plannerbench/internal/precise"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// ResumePoint lets a restarted driver continue a schedule: the same t0 and
// the next row to dispatch. Offset shifts the whole schedule by a fixed
// amount (zero unless the resume point carries one), so that a run resumed
// from any recorded point keeps every row's place.
type ResumePoint struct {
	T0        time.Time     `json:"t0"`
	NextIndex int64         `json:"next_index"`
	Offset    time.Duration `json:"offset"`
}

// Progress is reported while a replay runs.
type Progress struct {
	Total         int         `json:"total"`
	Sent          int64       `json:"sent"`
	Done          int64       `json:"done"`
	Errors        int64       `json:"errors"`
	Skipped       int64       `json:"skipped"`
	Interrupted   int64       `json:"interrupted"`
	InFlight      int64       `json:"in_flight"`
	LatenessP99MS float64     `json:"lateness_p99_ms"`
	Resume        ResumePoint `json:"resume"`
}

// Result is the outcome of Run.
type Result struct {
	Progress
	// AlreadyRecorded counts rows an earlier run had recorded.
	AlreadyRecorded int                  `json:"already_recorded"`
	Lateness        results.Distribution `json:"lateness_ms"`
}

// job is one row ready to send.
type job struct {
	index  int64
	tsMS   int64
	input  int
	output int
	prompt string
}

// driver holds one Run's state.
type driver struct {
	cfg      Config
	client   *openai.Client
	records  chan schemas.RequestRecord
	inflight sync.WaitGroup
	// offset shifts the whole schedule, set once from the resume point.
	offset time.Duration

	sent, done, errs, skipped, interrupted, inFlight atomic.Int64
	next                                             atomic.Int64

	lateMu   sync.Mutex
	lateRing [1024]float64
	lateN    int
	lateAll  []float64
}

// Run replays the trace at tracePath and writes one record a row into the
// Parquet parts of outDir. With resume it continues an earlier run on the
// same t0: rows before resume.NextIndex that no part holds are recorded as
// interrupted, rows already in a part are left alone, and rows overdue by
// more than SkipAfter are recorded as skipped. Failed requests are records,
// not errors: Run fails only on setup problems or when ctx ends (rows in
// flight are then recorded as interrupted and flushed).
func Run(ctx context.Context, cfg Config, tracePath, outDir string, resume *ResumePoint, progress func(Progress)) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	total := 0
	if err := schemas.ForEachTraceRecord(tracePath, func(int64, *schemas.TraceRecord) error { total++; return nil }); err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	existing, err := results.ReadRequests(ctx, outDir)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: read earlier records: %w", err)
	}
	recorded := make([]bool, total)
	for _, r := range existing {
		if r.Index >= 0 && r.Index < int64(total) {
			recorded[r.Index] = true
		}
	}
	writer, err := results.NewRequestWriter(outDir)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	d := &driver{cfg: cfg, client: newClient(cfg), records: make(chan schemas.RequestRecord, 4096)}
	res := Result{AlreadyRecorded: len(existing)}
	start := ResumePoint{}
	if resume != nil {
		start = *resume
	}
	d.next.Store(start.NextIndex)
	d.offset = start.Offset

	writerDone := make(chan error, 1)
	go func() { writerDone <- d.writeRecords(writer) }()

	// Build prompts ahead of the dispatcher; the first Lookahead before t0.
	buildCtx, stopBuild := context.WithCancel(ctx)
	defer stopBuild()
	jobs := make(chan job, cfg.Lookahead)
	primed := make(chan struct{})
	buildErr := make(chan error, 1)
	go func() { buildErr <- d.build(buildCtx, tracePath, start.NextIndex, recorded, jobs, primed) }()
	select {
	case <-primed:
	case <-ctx.Done():
	}
	t0 := start.T0
	if resume == nil || t0.IsZero() {
		t0 = cfg.T0
	}
	if t0.IsZero() {
		t0 = time.Now()
	}
	reportCtx, stopReport := context.WithCancel(context.Background())
	reportDone := make(chan struct{})
	go func() { defer close(reportDone); d.report(reportCtx, t0, total, progress) }()

	dispatchErr := d.dispatch(ctx, t0, resume != nil, jobs)
	stopBuild()
	for range jobs { // let the builder finish
	}
	berr := <-buildErr
	d.inflight.Wait()
	close(d.records)
	werr := <-writerDone
	stopReport()
	<-reportDone

	res.Progress = d.snapshot(t0, total)
	d.lateMu.Lock()
	res.Lateness = results.Describe(d.lateAll)
	d.lateMu.Unlock()
	if progress != nil {
		progress(res.Progress)
	}
	switch {
	case werr != nil:
		return res, fmt.Errorf("loadgen: write records: %w", werr)
	case dispatchErr != nil:
		return res, dispatchErr
	case berr != nil && !errors.Is(berr, context.Canceled):
		return res, fmt.Errorf("loadgen: %w", berr)
	}
	return res, nil
}

func newClient(cfg Config) *openai.Client {
	base := strings.TrimSuffix(cfg.URL, "/")
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = base
	transport := &http.Transport{
		Proxy:               nil, // benchmark traffic goes straight to the endpoint
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.MaxConnections,
		MaxIdleConnsPerHost: cfg.MaxConnections,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	oc.HTTPClient = extraBodyDoer{client: &http.Client{Transport: transport}}
	return openai.NewClientWithConfig(oc)
}

// build reads the trace and queues jobs from index from on; rows before it
// that no part holds are recorded as interrupted.
func (d *driver) build(ctx context.Context, tracePath string, from int64, recorded []bool, jobs chan<- job, primed chan<- struct{}) error {
	defer close(jobs)
	once := sync.OnceFunc(func() { close(primed) })
	defer once()
	pb := PromptBuilder{BlockSize: d.cfg.BlockSize}
	err := schemas.ForEachTraceRecord(tracePath, func(idx int64, rec *schemas.TraceRecord) error {
		if recorded[idx] {
			return nil
		}
		if idx < from {
			r := schemas.NewRequestRecord(idx, rec)
			r.Status, r.ErrorClass, r.Error, r.Attempt = schemas.StatusInterrupted, schemas.ErrClassCanceled, "the driver stopped before this request ended", d.cfg.Attempt
			d.interrupted.Add(1)
			d.records <- r
			return nil
		}
		j := job{index: idx, tsMS: rec.Timestamp, input: rec.InputLength, output: rec.OutputLength, prompt: pb.Build(idx, rec)}
		if len(jobs) == cap(jobs)-1 {
			once()
		}
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return err
}

// dispatch sends each job at its time, one goroutine a request.
func (d *driver) dispatch(ctx context.Context, t0 time.Time, catchingUp bool, jobs <-chan job) error {
	sleeper := precise.NewSleeper()
	for j := range jobs {
		target := t0.Add(time.Duration(float64(j.tsMS)*float64(time.Millisecond)/d.cfg.TimeScale) + d.offset)
		// A resumed run first works off the rows that came due while no
		// driver ran: those too old are skipped, the rest sent at once.
		overdue := time.Since(target)
		if catchingUp && overdue > d.cfg.SkipAfter {
			d.recordSkipped(j, target)
			d.next.Store(j.index + 1)
			continue
		}
		catchingUp = catchingUp && overdue > 0
		if !sleeper.Until(ctx, target, nil) || ctx.Err() != nil {
			return ctx.Err()
		}
		// A late row goes at once and keeps its place in the schedule, as
		// AIPerf's fixed schedule sends it (ai-dynamo/aiperf
		// src/aiperf/timing/strategies/fixed_schedule.py @081615bb: every
		// row at start + timestamp): shifting the rows after a stall would
		// move the load against the planner's clock, which stays on t0.
		late := time.Since(target)
		d.noteLateness(late)
		d.sent.Add(1)
		d.inFlight.Add(1)
		d.inflight.Add(1)
		d.next.Store(j.index + 1)
		go func() {
			defer d.inflight.Done()
			r := d.send(ctx, j, target, late)
			d.inFlight.Add(-1)
			d.records <- r
		}()
	}
	return nil
}

func (d *driver) recordSkipped(j job, target time.Time) {
	r := schemas.NewRequestRecord(j.index, &schemas.TraceRecord{InputLength: j.input, OutputLength: j.output})
	r.ScheduledAt = target
	r.Status, r.Error, r.Attempt = schemas.StatusSkipped, fmt.Sprintf("its send time passed %s before the driver resumed", time.Since(target).Round(time.Millisecond)), d.cfg.Attempt
	d.skipped.Add(1)
	d.records <- r
}

func (d *driver) noteLateness(late time.Duration) {
	ms := float64(late) / float64(time.Millisecond)
	d.lateMu.Lock()
	d.lateRing[d.lateN%len(d.lateRing)] = ms
	d.lateN++
	d.lateAll = append(d.lateAll, ms)
	d.lateMu.Unlock()
}

func (d *driver) recentLatenessP99() float64 {
	d.lateMu.Lock()
	n := min(d.lateN, len(d.lateRing))
	v := append([]float64(nil), d.lateRing[:n]...)
	d.lateMu.Unlock()
	if n == 0 {
		return 0
	}
	return results.Describe(v).P99
}

// writeRecords stores records as parts, flushing every FlushInterval.
func (d *driver) writeRecords(w *results.PartWriter[schemas.RequestRecord]) error {
	tick := time.NewTicker(d.cfg.FlushInterval)
	defer tick.Stop()
	var firstErr error
	for {
		select {
		case r, ok := <-d.records:
			if !ok {
				if err := w.Flush(); firstErr == nil {
					firstErr = err
				}
				return firstErr
			}
			w.Add(r)
		case <-tick.C:
			if err := w.Flush(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
}

func (d *driver) snapshot(t0 time.Time, total int) Progress {
	return Progress{
		Total: total, Sent: d.sent.Load(), Done: d.done.Load(), Errors: d.errs.Load(), Skipped: d.skipped.Load(),
		Interrupted: d.interrupted.Load(), InFlight: d.inFlight.Load(),
		LatenessP99MS: d.recentLatenessP99(),
		Resume:        ResumePoint{T0: t0, NextIndex: d.next.Load(), Offset: d.offset},
	}
}

func (d *driver) report(ctx context.Context, t0 time.Time, total int, progress func(Progress)) {
	if progress == nil {
		return
	}
	tick := time.NewTicker(d.cfg.ProgressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			progress(d.snapshot(t0, total))
		}
	}
}
