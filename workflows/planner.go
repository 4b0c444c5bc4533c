package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"plannerbench/activities/payload"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// TicksPerRun is how many planner ticks one run of PlannerWorkflow makes
// before it continues as new, keeping each history short.
const TicksPerRun = 120

// maxTickTimes bounds the tick times kept in the state.
const maxTickTimes = 2000

// PlannerWorkflow is a case's planner loop: every adjustment interval
// (divided by the time scale) it asks an activity for the interval's metric
// samples, decides in workflow code with internal/planner, and scales the
// deployment when the decision changes anything. A stop signal ends it; it
// continues as new every TicksPerRun ticks or when the server suggests,
// carrying its state. The state query returns the state.
func PlannerWorkflow(ctx workflow.Context, in PlannerInput) (PlannerState, error) {
	ctx = waitingForCancellation(ctx)
	ctx = withNodeLostAfter(ctx, in.NodeLostAfter)
	st := in.State
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (PlannerState, error) { return st, nil }); err != nil {
		return st, err
	}
	stop := workflow.GetSignalChannel(ctx, StopSignal)
	adjust := in.Config.AdjustmentInterval.D()
	wallInterval := time.Duration(float64(adjust) / timeScale(in))
	observeCtx := nodeOptions(ctx, in.NodeQueue, 30*time.Second, 0, 3)
	scaleCtx := nodeOptions(ctx, in.NodeQueue, 30*time.Second, 0, 3)
	stopped := false
	for run := 0; !stopped; run++ {
		if run > 0 && (run%TicksPerRun == 0 || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			if stop.ReceiveAsync(nil) { // drain: a stop that arrived must not be lost
				break
			}
			in.State = st
			return st, workflow.NewContinueAsNewError(ctx, PlannerWorkflowName, in)
		}
		// Ticks are on a grid from the case's start, so a late tick (after
		// an outage) does not shift the ones after it; a blocking
		// adjustment moves the grid to its end (st.Planner.Offset).
		next := in.T0.Add(time.Duration(st.Ticks+1)*wallInterval + wallOf(in, st.Planner.Offset))
		wait := next.Sub(workflow.Now(ctx))
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(stop, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			stopped = true
		})
		sel.AddFuture(workflow.NewTimer(timerCtx, max(wait, 0)), func(workflow.Future) {})
		sel.Select(ctx)
		cancelTimer()
		if stopped {
			break
		}
		if err := ctx.Err(); err != nil { // the benchmark was cancelled: end as cancelled
			return st, err
		}
		tick(ctx, observeCtx, scaleCtx, in, &st)
	}
	if st.Last != nil { // record the last decision too
		_ = workflow.ExecuteActivity(observeCtx, payload.ObserveActivity, payload.ObserveInput{Case: in.Case, Decision: st.Last}).Get(ctx, nil)
	}
	st.Stopped = true
	return st, nil
}

// tick makes one adjustment: the interval's samples come from an
// activity, planner.Tick decides (in workflow code: it is deterministic),
// and a scaling decision runs the Scale activity.
func tick(ctx, observeCtx, scaleCtx workflow.Context, in PlannerInput, st *PlannerState) {
	st.Ticks++
	st.TickTimes = append(st.TickTimes, workflow.Now(ctx))
	if len(st.TickTimes) > maxTickTimes {
		st.TickTimes = st.TickTimes[len(st.TickTimes)-maxTickTimes:]
	}
	adjust := in.Config.AdjustmentInterval.D()
	to := time.Duration(st.Ticks)*adjust + st.Planner.Offset
	// How late, in trace time, after the interval's end an activity ran
	// (the midpoint of its round trip, workflow time): recorded so that a
	// replay can keep the live run's timing.
	nominal := in.T0.Add(time.Duration(st.Ticks)*time.Duration(float64(adjust)/timeScale(in)) + wallOf(in, st.Planner.Offset))
	lateMS := func(from time.Time) float64 {
		return schemas.LateMS(from.Add(workflow.Now(ctx).Sub(from)/2), nominal, timeScale(in))
	}
	var window []schemas.Sample
	observing := workflow.Now(ctx)
	err := workflow.ExecuteActivity(observeCtx, payload.ObserveActivity, payload.ObserveInput{
		Case: in.Case, From: to - adjust, To: to, Decision: st.Last,
	}).Get(ctx, &window)
	observedLate := lateMS(observing)
	if err != nil {
		workflow.GetLogger(ctx).Warn("observe failed; deciding without samples", "error", err)
	}
	if planner.IsExternal(in.Config.Mode) {
		tickExternal(ctx, scaleCtx, in, st, to, window)
		return
	}
	appliedLate := 0.0
	d, ps := planner.Tick(in.Config, planner.PerfOf(in.Deployment.Perf), st.Planner, to, window, func(t schemas.Target) (schemas.Workers, error) {
		var w schemas.Workers
		scaling := workflow.Now(ctx)
		err := workflow.ExecuteActivity(scaleCtx, payload.ScaleActivity, payload.ScaleInput{Deployment: in.Deployment, Target: t}).Get(ctx, &w)
		if appliedLate == 0 {
			appliedLate = lateMS(scaling)
			if !w.AppliedAt.IsZero() { // the activity's own clock: closer than workflow time
				appliedLate = schemas.LateMS(w.AppliedAt, nominal, timeScale(in))
			}
		}
		return w, err
	})
	d.ObservedLateMS, d.AppliedLateMS = observedLate, appliedLate
	if ps.Blocking != nil {
		d, ps = block(ctx, scaleCtx, in, d, ps, schemas.WorkersOf(window[len(window)-1]), &appliedLate, nominal)
		d.AppliedLateMS = appliedLate
	}
	st.Planner = ps
	if d.Scaled {
		st.Scalings++
	}
	st.Last = &d
}

// block applies a blocking adjustment (planner.Blocking), starting from
// the workers w of the interval's last sample, as the seed's
// LocalConnector did: each change in turn through the Scale activity,
// then the Workers activity every poll period (trace time, divided by the
// time scale) until the change shows, collecting and deciding nothing
// meanwhile. A stop signal is honoured between polls by the caller's
// next select; the adjustment in flight finishes first, as upstream's
// await does. It returns the decision with what happened and the state
// whose next interval starts now.
func block(ctx, scaleCtx workflow.Context, in PlannerInput, d schemas.Decision, ps planner.State, w schemas.Workers, appliedLate *float64, nominal time.Time) (schemas.Decision, planner.State) {
	traceOf := func(t time.Time) time.Duration {
		return time.Duration(float64(t.Sub(in.T0)) * timeScale(in))
	}
	pollCtx := nodeOptions(ctx, in.NodeQueue, 30*time.Second, 0, 3)
	// at is the connector's clock in trace time: each change's polls fall
	// on a grid from the instant it was applied (upstream sleeps 5 s
	// between near-instant checks), so the activities' round trips, which
	// the time scale magnifies, do not stretch the wait.
	at := traceOf(workflow.Now(ctx))
	// now is when the workers w were read: a poll's activity runs after its
	// instant on the grid (timer, task and round trip, magnified by the
	// time scale), and what it read is the deployment then, not at the
	// grid's instant.
	now := at
	for {
		if ctx.Err() != nil { // cancelled: nothing more to apply or wait for
			return planner.EndBlocking(ps, d, now, w)
		}
		step := ps.Blocking.Next(now, w)
		switch {
		case step.Apply != nil:
			var nw schemas.Workers
			scaling := workflow.Now(ctx)
			err := workflow.ExecuteActivity(scaleCtx, payload.ScaleActivity, payload.ScaleInput{Deployment: in.Deployment, Target: *step.Apply}).Get(ctx, &nw)
			if err != nil {
				ps.Blocking.Failed(now, err)
				continue
			}
			applied := scaling.Add(workflow.Now(ctx).Sub(scaling) / 2)
			if !nw.AppliedAt.IsZero() { // the activity's own clock: closer than workflow time
				applied = nw.AppliedAt
			}
			if *appliedLate == 0 {
				*appliedLate = schemas.LateMS(applied, nominal, timeScale(in))
			}
			// The change's polls count from when it was applied.
			ps.Blocking.Since = max(traceOf(applied), now)
			at, now = ps.Blocking.Since, ps.Blocking.Since
			d.Scaled, w = true, nw
		case step.Wait > 0:
			at += step.Wait
			now = at // until a read says when it read
			if wait := in.T0.Add(wallOf(in, at)).Sub(workflow.Now(ctx)); wait > 0 {
				_ = workflow.Sleep(ctx, wait)
			}
			// A fresh value: decoding into w would keep the fields the
			// answer omits (zero counts) from the last one.
			var polled schemas.Workers
			if err := workflow.ExecuteActivity(pollCtx, payload.WorkersActivity, in.Deployment).Get(ctx, &polled); err != nil {
				workflow.GetLogger(ctx).Warn("reading the workers failed; polling again", "error", err)
				continue
			}
			w = polled
			if !polled.ReadAt.IsZero() {
				now = max(at, traceOf(polled.ReadAt))
			}
		default:
			return planner.EndBlocking(ps, d, now, w)
		}
	}
}

// wallOf converts a trace-time duration to wall time.
func wallOf(in PlannerInput, d time.Duration) time.Duration {
	return time.Duration(float64(d) / timeScale(in))
}

// timeScale is the deployment's time scale (trace seconds a wall second).
func timeScale(in PlannerInput) float64 {
	if in.Deployment.TimeScale > 0 {
		return in.Deployment.TimeScale
	}
	return 1
}

// tickExternal makes one adjustment with a planner outside plannerbench:
// the HTTP protocol asks it (an activity) and scales to its answer; for
// dynamo-virtual plannerbench plays the environment: it acknowledges the
// decision whose workers are now ready, reads the planner's keys, and
// scales to a new decision. The decision is recorded as the others are.
func tickExternal(ctx, scaleCtx workflow.Context, in PlannerInput, st *PlannerState, to time.Duration, window []schemas.Sample) {
	cfg := in.Config
	scale := func(t schemas.Target) (schemas.Workers, error) {
		var w schemas.Workers
		err := workflow.ExecuteActivity(scaleCtx, payload.ScaleActivity, payload.ScaleInput{Deployment: in.Deployment, Target: t}).Get(ctx, &w)
		return w, err
	}
	var last *schemas.Sample
	if n := len(window); n > 0 {
		last = &window[n-1]
	}
	var d schemas.Decision
	var ps planner.State
	switch {
	case cfg.External != nil && cfg.External.Protocol == schemas.ProtocolDynamoVirtual && in.Env != nil:
		vctx := nodeOptions(ctx, in.NodeQueue, 15*time.Second, 0, 3)
		vin := payload.VirtualInput{Etcd: in.Env.Etcd, Namespace: in.Env.Namespace}
		ack := func(id int) {
			vin.DecisionID = id
			if err := workflow.ExecuteActivity(vctx, payload.VirtualCompleteActivity, vin).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Warn("acknowledging the planner's decision failed", "decision", id, "error", err)
			}
		}
		keys := schemas.NoVirtualKeys
		pollErr := workflow.ExecuteActivity(vctx, payload.VirtualPollActivity, vin).Get(ctx, &keys)
		want, done, next := planner.VirtualStep(st.Virtual, keys, last)
		if done >= 0 {
			ack(done)
		}
		if pollErr != nil {
			want = planner.Want{Reason: "reading the planner's etcd keys failed: " + pollErr.Error()}
			next = st.Virtual
			if done >= 0 {
				next.Pending = false
			}
		}
		d, ps = planner.TickExternal(cfg, st.Planner, to, window, want, scale)
		if planner.AckNow(next, d, last) {
			ack(next.PendingID)
			next.Pending = false
		}
		st.Virtual = next
	case cfg.External != nil && cfg.External.Protocol == schemas.ProtocolHTTP:
		timeout := cfg.External.TimeoutOrDefault()
		askCtx := nodeOptions(ctx, in.NodeQueue, timeout+10*time.Second, 0, 2)
		req := planner.ExternalRequestOf(in.Case.Case, cfg, st.Planner.Intervals+1, to, window)
		var res payload.ExternalAskResult
		err := workflow.ExecuteActivity(askCtx, payload.ExternalAskActivity, payload.ExternalAskInput{URL: cfg.External.URL, Timeout: timeout, Request: req}).Get(ctx, &res)
		var want planner.Want
		switch {
		case err != nil:
			want.Reason = "asking the planner failed: " + err.Error()
		case res.Answer == nil:
			want.Reason = res.Bad
		default:
			want = planner.AnswerWant(*res.Answer)
		}
		d, ps = planner.TickExternal(cfg, st.Planner, to, window, want, scale)
	default:
		d, ps = planner.TickExternal(cfg, st.Planner, to, window, planner.Want{Reason: "no external planner environment"}, scale)
	}
	st.Planner = ps
	if d.Scaled {
		st.Scalings++
	}
	st.Last = &d
}
