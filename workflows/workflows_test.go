package workflows

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities"
	"plannerbench/activities/payload"
	"plannerbench/deploy/sim"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// act is a nil receiver: its methods name the activities to mock.
var act *activities.Activities

type workflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	mu    sync.Mutex
	calls []string
}

func TestWorkflows(t *testing.T) { suite.Run(t, new(workflowSuite)) }

func (s *workflowSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	Register(s.env)
	s.env.RegisterActivity(&activities.Activities{})
	s.calls = nil
}

func (s *workflowSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

func (s *workflowSuite) record(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
}

func (s *workflowSuite) called(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == name {
			n++
		}
	}
	return n
}

func testCase() schemas.Case {
	p := schemas.DefaultSynthParams()
	p.TimeDuration = 60
	return schemas.Case{ID: "planner", Matrix: "m", Name: "planner", Model: schemas.DefaultModel,
		Backend:   schemas.Backend{Kind: schemas.BackendSim, Profile: "h100-llama8b"},
		TimeScale: 1, Trace: schemas.TraceSpec{Synth: &p}, Deployment: schemas.Deployment{Prefill: 1, Decode: 1},
		Planner: schemas.DefaultPlannerConfig(), Repeat: 1}
}

func profile() *schemas.Profile {
	p, err := sim.LoadProfile("h100-llama8b")
	if err != nil {
		panic(err)
	}
	return p
}

// mockCase mocks every activity of a benchmark; drive is DriveLoad's
// behaviour.
func (s *workflowSuite) mockCase(drive func(context.Context, payload.DriveInput) (payload.DriveResult, error), driveTakes ...time.Duration) {
	s.env.OnActivity(act.NodeQueue, mock.Anything).Return(func(context.Context) (string, error) {
		s.record("NodeQueue")
		return payload.NodeQueue("n1"), nil
	})
	s.env.OnActivity(act.SynthesizeTrace, mock.Anything, mock.Anything).Return(func(context.Context, payload.SynthesizeInput) (schemas.TraceRef, error) {
		s.record("SynthesizeTrace")
		return schemas.TraceRef{Path: "/t.jsonl", Rows: 10}, nil
	})
	s.env.OnActivity(act.Deploy, mock.Anything, mock.Anything).Return(func(context.Context, payload.DeployInput) (schemas.DeploymentRef, error) {
		s.record("Deploy")
		return schemas.DeploymentRef{Backend: "sim", Node: "n1", URL: "http://x", TimeScale: 1, GPUsPerEngine: 1, Perf: profile()}, nil
	})
	// CollectMetrics runs until cancelled: in the test environment, an
	// activity whose result comes after a day of workflow time.
	s.env.OnActivity(act.CollectMetrics, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ payload.CollectInput) (int, error) {
		s.record("CollectMetrics")
		return 0, nil
	}).After(24 * time.Hour).Maybe() // a load that fails at once may cancel it before it starts
	call := s.env.OnActivity(act.DriveLoad, mock.Anything, mock.Anything).Return(func(ctx context.Context, in payload.DriveInput) (payload.DriveResult, error) {
		s.record("DriveLoad")
		return drive(ctx, in)
	})
	if len(driveTakes) > 0 {
		call.After(driveTakes[0])
	}
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ObserveInput) ([]schemas.Sample, error) {
		s.record("Observe")
		return []schemas.Sample{{At: in.To, PrefillWorkers: 1, DecodeWorkers: 1, KVLoads: []float64{0.6}, AverageKVLoad: 0.6}}, nil
	}).Maybe()
	s.env.OnActivity(act.Teardown, mock.Anything, mock.Anything).Return(func(context.Context, schemas.DeploymentRef) error {
		s.record("Teardown")
		return nil
	})
}

func (s *workflowSuite) TestStageOrder() {
	s.mockCase(func(context.Context, payload.DriveInput) (payload.DriveResult, error) {
		return payload.DriveResult{}, nil
	}, time.Minute) // DriveLoad takes a minute of workflow time
	s.env.OnActivity(act.Summarize, mock.Anything, mock.Anything).Return(func(context.Context, payload.SummarizeInput) (payload.ResultRef, error) {
		s.record("Summarize")
		return payload.ResultRef{Dir: "/r", Rows: 10}, nil
	})
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: testCase()})
	s.True(s.env.IsWorkflowCompleted())
	s.NoError(s.env.GetWorkflowError())
	var res BenchmarkResult
	s.NoError(s.env.GetWorkflowResult(&res))
	s.Equal("/r", res.Result.Dir)
	order := []string{}
	for _, c := range s.calls {
		if c != "Observe" && c != "CollectMetrics" {
			order = append(order, c)
		}
	}
	s.Equal([]string{"NodeQueue", "SynthesizeTrace", "Deploy", "DriveLoad", "Teardown", "Summarize"}, order)
	s.LessOrEqual(s.called("CollectMetrics"), 1)
	s.True(res.Planner.Stopped, "the planner was stopped by signal and returned its state")
}

func (s *workflowSuite) TestTeardownOnFailureAndNoRetryOfValidationErrors() {
	s.mockCase(func(context.Context, payload.DriveInput) (payload.DriveResult, error) {
		return payload.DriveResult{}, temporal.NewNonRetryableApplicationError("trace.jsonl:3: input_length: missing", payload.ErrValidation, nil)
	})
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: testCase()})
	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Error(err)
	var appErr *temporal.ApplicationError
	s.True(errors.As(err, &appErr))
	s.Equal(payload.ErrValidation, appErr.Type())
	s.Equal(1, s.called("DriveLoad"), "a validation error is not retried")
	s.Equal(1, s.called("Teardown"), "teardown runs on failure")
	s.Equal(0, s.called("Summarize"))
}

func (s *workflowSuite) TestTransientErrorsAreRetried() {
	var attempts atomic.Int32
	s.mockCase(func(context.Context, payload.DriveInput) (payload.DriveResult, error) {
		if attempts.Add(1) < 3 {
			return payload.DriveResult{}, errors.New("connection reset")
		}
		return payload.DriveResult{}, nil
	})
	s.env.OnActivity(act.Summarize, mock.Anything, mock.Anything).Return(payload.ResultRef{Dir: "/r"}, nil)
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: testCase()})
	s.NoError(s.env.GetWorkflowError())
	s.Equal(int32(3), attempts.Load())
	s.Equal(1, s.called("Teardown"))
}

func (s *workflowSuite) TestTeardownOnCancel() {
	s.mockCase(func(ctx context.Context, _ payload.DriveInput) (payload.DriveResult, error) {
		return payload.DriveResult{}, nil
	}, time.Hour)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 30*time.Second)
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: testCase()})
	s.True(temporal.IsCanceledError(s.env.GetWorkflowError()), "%v", s.env.GetWorkflowError())
	s.Equal(1, s.called("Teardown"), "teardown runs in a disconnected context")
}

func plannerInput() PlannerInput {
	return PlannerInput{Case: payload.CaseRef{Matrix: "m", Case: "c"}, NodeQueue: payload.NodeQueue("n1"),
		Deployment: schemas.DeploymentRef{Backend: "sim", URL: "http://x", TimeScale: 2, GPUsPerEngine: 1, Perf: profile()},
		Config:     schemas.DefaultPlannerConfig(), T0: time.Unix(1_700_000_000, 0)}
}

func (s *workflowSuite) TestPlannerTicksEveryIntervalAndScales() {
	s.env.SetStartTime(time.Unix(1_700_000_000, 0))
	var windows [][2]time.Duration
	var mu sync.Mutex
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ObserveInput) ([]schemas.Sample, error) {
		mu.Lock()
		defer mu.Unlock()
		if in.To > 0 {
			windows = append(windows, [2]time.Duration{in.From, in.To})
		}
		// a growing prefill queue on 1p1d: the load planner adds prefill workers
		var w []schemas.Sample
		for t := in.From + time.Second; t <= in.To; t += time.Second {
			w = append(w, schemas.Sample{At: t, PrefillWorkers: 1, DecodeWorkers: 1, PrefillQueueSize: float64(t / time.Second), KVLoads: []float64{0.6}, AverageKVLoad: 0.6})
		}
		return w, nil
	})
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1}, nil)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 35*time.Second) // 7 ticks at 5 s (10 s / time scale 2)
	in := plannerInput()
	in.Config.BlockingScaling = false // the grid without blocking (TestPlannerBlocksWhileAChangeTakes)
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Equal(7, st.Ticks)
	s.True(st.Stopped)
	s.Require().Len(windows, 7)
	for i, w := range windows {
		s.Equal(time.Duration(i)*10*time.Second, w[0], "tick %d covers the next 10 s of trace time", i+1)
		s.Equal(time.Duration(i+1)*10*time.Second, w[1])
	}
	for i := 1; i < len(st.TickTimes); i++ {
		s.Equal(5*time.Second, st.TickTimes[i].Sub(st.TickTimes[i-1]), "adjustment interval / time scale")
	}
	s.Greater(st.Scalings, 0)
	s.Equal(schemas.PlannerLoad, st.Last.Mode)
}

// blockingRun runs the planner through one blocking add: the first
// interval asks for a prefill worker, which shows ready at the third poll,
// whose read the Workers activity says came readLate (wall time) after the
// poll began (zero: no clock). It returns each poll's instant, each
// window observed and the planner's final state.
func (s *workflowSuite) blockingRun(in PlannerInput, readLate time.Duration) ([]time.Time, [][2]time.Duration, PlannerState) {
	s.env.SetStartTime(in.T0)
	var mu sync.Mutex
	var windows [][2]time.Duration
	var polls []time.Time
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, o payload.ObserveInput) ([]schemas.Sample, error) {
		mu.Lock()
		defer mu.Unlock()
		if o.To == 0 {
			return nil, nil
		}
		windows = append(windows, [2]time.Duration{o.From, o.To})
		q := 0.0
		if len(windows) == 1 {
			q = 50 // the first interval asks for a prefill worker
		}
		return []schemas.Sample{{At: o.From, PrefillWorkers: 1, DecodeWorkers: 1, PrefillQueueSize: 0, KVLoads: []float64{0.4}},
			{At: o.To, PrefillWorkers: 1, DecodeWorkers: 1, PrefillQueueSize: q, KVLoads: []float64{0.4}}}, nil
	})
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1}, nil)
	s.env.OnActivity(act.Workers, mock.Anything, mock.Anything).Return(func(context.Context, schemas.DeploymentRef) (schemas.Workers, error) {
		mu.Lock()
		defer mu.Unlock()
		polls = append(polls, s.env.Now())
		if len(polls) < 3 { // starting for two polls, ready at the third
			return schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1}, nil
		}
		w := schemas.Workers{PrefillReady: 2, DecodeReady: 1}
		if readLate > 0 {
			w.ReadAt = s.env.Now().Add(readLate)
		}
		return w, nil
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 25*time.Second)
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Require().Len(polls, 3)
	for i, p := range polls {
		s.Equal(time.Duration(i+1)*2500*time.Millisecond, p.Sub(in.T0.Add(5*time.Second)), "poll %d: every 5 s of trace time after the change", i+1)
	}
	s.Require().GreaterOrEqual(len(windows), 2)
	return polls, windows, st
}

// With blocking scaling (the seed's LocalConnector) the planner applies a
// change, polls the workers every 5 s of trace time (2.5 s of wall time
// at time scale 2) until it has taken, samples and decides nothing
// meanwhile, and starts its next interval when it has: the next window
// begins where the wait ended, not on the 10 s grid.
func (s *workflowSuite) TestPlannerBlocksWhileAChangeTakes() {
	in := plannerInput()
	_, windows, st := s.blockingRun(in, 0)
	// The change was applied at 10 s and took at the third poll (25 s of
	// trace time); the next interval is [25 s, 35 s], not [10 s, 20 s].
	s.Equal([2]time.Duration{0, 10 * time.Second}, windows[0])
	s.Equal([2]time.Duration{25 * time.Second, 35 * time.Second}, windows[1])
	s.Equal(15*time.Second, st.Planner.Offset)
	s.Equal(1, st.Scalings)
}

// A poll's read comes after its instant on the grid (timer, task and
// round trip); the wait ends when the read that saw the change was made,
// by the reading worker's clock (schemas.Workers.ReadAt), as upstream's
// check-then-sleep loop does; the polls keep the grid.
func (s *workflowSuite) TestPlannerEndsAWaitWhenItsPollRead() {
	in := plannerInput()
	// The third poll read 750 ms of wall time (1.5 s of trace) after its
	// instant on the grid: the wait ends at 26.5 s, and the next interval
	// is [26.5 s, 36.5 s].
	_, windows, st := s.blockingRun(in, 750*time.Millisecond)
	s.Equal([2]time.Duration{26500 * time.Millisecond, 36500 * time.Millisecond}, windows[1])
	s.Equal(16500*time.Millisecond, st.Planner.Offset)
}

// Each decision records how late after its interval's end its scaling
// took effect, from the Scale activity's own clock, in trace time (here
// 150 ms of wall time at time scale 2: 300 ms), so that a replay can keep
// the live run's timing.
func (s *workflowSuite) TestPlannerRecordsWhenItsScalingsTookEffect() {
	in := plannerInput()
	s.env.SetStartTime(in.T0)
	var mu sync.Mutex
	tick := 0
	var decisions []schemas.Decision
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, o payload.ObserveInput) ([]schemas.Sample, error) {
		mu.Lock()
		defer mu.Unlock()
		tick = int(o.To / (10 * time.Second))
		if o.Decision != nil {
			decisions = append(decisions, *o.Decision)
		}
		var w []schemas.Sample
		for t := o.From + time.Second; t <= o.To; t += time.Second {
			w = append(w, schemas.Sample{At: t, PrefillWorkers: 1, DecodeWorkers: 1, PrefillQueueSize: float64(t / time.Second), KVLoads: []float64{0.6}, AverageKVLoad: 0.6})
		}
		return w, nil
	})
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(func(context.Context, payload.ScaleInput) (schemas.Workers, error) {
		mu.Lock()
		defer mu.Unlock()
		nominal := in.T0.Add(time.Duration(tick) * 5 * time.Second) // 10 s of trace at time scale 2
		return schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1, AppliedAt: nominal.Add(150 * time.Millisecond)}, nil
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 35*time.Second)
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	scaled := 0
	for _, d := range decisions {
		if d.Scaled {
			scaled++
			s.InDelta(300, d.AppliedLateMS, 1e-6, "interval %d", d.Interval)
		} else {
			s.Zero(d.AppliedLateMS, "interval %d scaled nothing", d.Interval)
		}
		s.Zero(d.ObservedLateMS, "workflow time stands still while the test's activities run")
	}
	s.Positive(scaled)
}

// A refused scale (no free GPU) fails its Scale activity without retries;
// the planner reports it in the decision and goes on ticking.
func (s *workflowSuite) TestPlannerGoesOnAfterARefusedScale() {
	s.env.SetStartTime(time.Unix(1_700_000_000, 0))
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return([]schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 1, KVLoads: []float64{0.95}, AverageKVLoad: 0.95}}, nil)
	calls := 0
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(func(context.Context, payload.ScaleInput) (schemas.Workers, error) {
		calls++
		return schemas.Workers{}, temporal.NewNonRetryableApplicationError("scaling refused: 9 GPUs on an 8-GPU graph", payload.ErrScaleRefused, nil)
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 20*time.Second)
	s.env.ExecuteWorkflow(PlannerWorkflow, plannerInput())
	s.NoError(s.env.GetWorkflowError(), "a refused scale does not fail the planner")
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Equal(4, st.Ticks, "it went on ticking")
	s.Equal(4, calls, "one attempt a decision: refused scales are not retried")
	s.Require().NotNil(st.Last)
	s.Contains(st.Last.Reason, "scaling refused: 9 GPUs on an 8-GPU graph")
	s.Zero(st.Scalings)
}

func (s *workflowSuite) TestPlannerContinuesAsNewWithState() {
	s.env.SetStartTime(time.Unix(1_700_000_000, 0))
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return([]schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 2, KVLoads: []float64{0.95, 0.95}, AverageKVLoad: 0.95}}, nil)
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(schemas.Workers{PrefillReady: 1, DecodeReady: 2, DecodeStarting: 1}, nil)
	s.env.ExecuteWorkflow(PlannerWorkflow, plannerInput())
	err := s.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "%v", err)
	s.Equal(PlannerWorkflowName, can.WorkflowType.Name)
	var next PlannerInput
	s.NoError(converterDecode(can, &next))
	s.Equal(TicksPerRun, next.State.Ticks, "ticks carried")
	s.Equal(TicksPerRun, next.State.Planner.Intervals)
	s.Greater(next.State.Scalings, 0)
	s.NotNil(next.State.Last)
	s.True(plannerInput().T0.Equal(next.T0), "the tick grid keeps its origin")
}

// TestPlannerAfterContinueAsNew resumes from carried state: ticks continue
// on the same grid.
func (s *workflowSuite) TestPlannerAfterContinueAsNew() {
	in := plannerInput()
	in.State = PlannerState{Ticks: TicksPerRun, Planner: planner.State{Intervals: TicksPerRun, DecodeGrace: 2}}
	s.env.SetStartTime(in.T0.Add(time.Duration(TicksPerRun) * 5 * time.Second))
	var first time.Duration
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, o payload.ObserveInput) ([]schemas.Sample, error) {
		if first == 0 {
			first = o.To
		}
		return nil, nil
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 12*time.Second)
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Equal(TicksPerRun+2, st.Ticks)
	s.Equal(time.Duration(TicksPerRun+1)*10*time.Second, first)
}

func (s *workflowSuite) TestMatrixConcurrencyBoundAndFailedCase() {
	var running, peak atomic.Int32
	fake := func(ctx workflow.Context, in BenchmarkInput) (BenchmarkResult, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		_ = workflow.Sleep(ctx, time.Minute)
		running.Add(-1)
		if in.Case.ID == "c2" {
			return BenchmarkResult{}, temporal.NewApplicationError("deployment exploded", "Boom")
		}
		return BenchmarkResult{Result: payload.ResultRef{Dir: "/r/" + in.Case.ID}}, nil
	}
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(MatrixWorkflow, workflow.RegisterOptions{Name: MatrixWorkflowName})
	env.RegisterWorkflowWithOptions(fake, workflow.RegisterOptions{Name: BenchmarkWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(act.FindCompleted, mock.Anything, mock.Anything).Return(map[string]payload.ResultRef{"c4": {Dir: "/r/c4"}}, nil)
	var compared payload.CompareInput
	env.OnActivity(act.CompareCases, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.CompareInput) (payload.ComparisonRef, error) {
		compared = in
		return payload.ComparisonRef{Comparison: "/r/comparison.json"}, nil
	})
	var cases []schemas.Case
	for _, id := range []string{"c0", "c1", "c2", "c3", "c4", "c5"} {
		c := testCase()
		c.ID = id
		cases = append(cases, c)
	}
	env.ExecuteWorkflow(MatrixWorkflow, MatrixInput{Name: "m", Hash: "h", Cases: cases, MaxParallel: 2})
	s.NoError(env.GetWorkflowError(), "one failed case does not fail the matrix")
	var res MatrixResult
	s.NoError(env.GetWorkflowResult(&res))
	s.Equal(int32(2), peak.Load(), "at most max_parallel cases at once")
	s.Equal(1, res.Failed)
	statuses := map[string]string{}
	for _, c := range res.Cases {
		statuses[c.ID] = c.Status
	}
	s.Equal(map[string]string{"c0": "completed", "c1": "completed", "c2": "failed", "c3": "completed", "c4": "reused", "c5": "completed"}, statuses)
	s.Equal("/r/comparison.json", res.Comparison.Comparison)
	s.Len(compared.Cases, 6)
	s.Contains(res.Cases[2].Error, "deployment exploded")
}

func TestIDs(t *testing.T) {
	require.Equal(t, "matrix/seed/abc", MatrixID("seed", "abc"))
	require.Equal(t, "bench/seed/planner", CaseID("seed", "planner"))
	require.Equal(t, "bench/seed/planner/planner", PlannerID("seed", "planner"))
}

// TestRedeploysWhenTheNodeIsLost: an activity no worker of the node picks
// up (schedule-to-start timeout) moves the case to another node.
func (s *workflowSuite) TestRedeploysWhenTheNodeIsLost() {
	var attempts atomic.Int32
	s.mockCase(func(context.Context, payload.DriveInput) (payload.DriveResult, error) {
		if attempts.Add(1) == 1 {
			return payload.DriveResult{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START, nil)
		}
		return payload.DriveResult{}, nil
	})
	s.env.OnActivity(act.Summarize, mock.Anything, mock.Anything).Return(payload.ResultRef{Dir: "/r"}, nil)
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: testCase()})
	s.NoError(s.env.GetWorkflowError())
	s.Equal(2, s.called("NodeQueue"), "a node is picked again")
	s.Equal(2, s.called("Deploy"))
	s.Equal(2, s.called("Teardown"), "the lost node's deployment is torn down too")
}
