package workflows

import (
	"context"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"

	"plannerbench/activities/payload"
	"plannerbench/schemas"
)

func externalPlannerInput(ext schemas.ExternalPlanner) PlannerInput {
	in := plannerInput()
	in.Config.Mode = schemas.PlannerExternal
	in.Config.External = &ext
	return in
}

// HTTP protocol: each tick asks the planner (an activity with the
// interval's window) and scales to a good answer; a bad answer is recorded
// in the decision and the deployment is left alone.
func (s *workflowSuite) TestExternalHTTPPlannerTicks() {
	s.env.SetStartTime(time.Unix(1_700_000_000, 0))
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return([]schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 1}}, nil)
	var mu sync.Mutex
	var asked []payload.ExternalAskInput
	s.env.OnActivity(act.ExternalAsk, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ExternalAskInput) (payload.ExternalAskResult, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, in)
		if in.Request.Interval == 2 {
			return payload.ExternalAskResult{Bad: "bad answer: HTTP 500: boom"}, nil
		}
		return payload.ExternalAskResult{Answer: &schemas.ExternalAnswer{Prefill: 2, Decode: 1, Reason: "queue"}}, nil
	})
	var targets []schemas.Target
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ScaleInput) (schemas.Workers, error) {
		targets = append(targets, in.Target)
		return schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1}, nil
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 11*time.Second) // 2 ticks at 5 s
	s.env.ExecuteWorkflow(PlannerWorkflow, externalPlannerInput(schemas.ExternalPlanner{Protocol: schemas.ProtocolHTTP, URL: "http://planner:1/", Timeout: schemas.Duration(2 * time.Second)}))
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Require().Len(asked, 2)
	s.Equal("http://planner:1/", asked[0].URL)
	s.Equal(2*time.Second, asked[0].Timeout)
	s.Equal(1, asked[0].Request.Interval)
	s.Equal(10.0, asked[0].Request.AtS, "trace seconds at the interval's end")
	s.Equal([]schemas.Target{{Prefill: 2, Decode: 1}}, targets, "only the good answer scales")
	s.Equal(1, st.Scalings)
	s.Equal(schemas.PlannerExternal, st.Last.Mode)
	s.Equal("external: bad answer: HTTP 500: boom", st.Last.Reason)
}

// dynamo-virtual: the environment reads the planner's keys each tick,
// scales to a new decision and acknowledges it once its workers are ready.
func (s *workflowSuite) TestExternalDynamoVirtualTicks() {
	s.env.SetStartTime(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	ticks := 0
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ObserveInput) ([]schemas.Sample, error) {
		mu.Lock()
		defer mu.Unlock()
		if in.To == 0 {
			return nil, nil // the final call that records the last decision
		}
		ticks++
		switch ticks {
		case 1:
			return []schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 1}}, nil
		case 2:
			return []schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 1, PrefillStarting: 1}}, nil
		default:
			return []schemas.Sample{{PrefillWorkers: 2, DecodeWorkers: 1}}, nil
		}
	})
	s.env.OnActivity(act.VirtualPoll, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.VirtualInput) (schemas.VirtualKeys, error) {
		s.Equal("http://etcd:2379", in.Etcd)
		s.Equal("dynamo", in.Namespace)
		return schemas.VirtualKeys{Prefill: 2, Decode: -1, DecisionID: 0, ScaledDecisionID: -1}, nil
	})
	var acks []int
	s.env.OnActivity(act.VirtualComplete, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.VirtualInput) error {
		acks = append(acks, in.DecisionID)
		return nil
	})
	var targets []schemas.Target
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ScaleInput) (schemas.Workers, error) {
		targets = append(targets, in.Target)
		return schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1}, nil
	})
	in := externalPlannerInput(schemas.ExternalPlanner{Protocol: schemas.ProtocolDynamoVirtual})
	in.Env = &payload.PlannerEnvRef{Etcd: "http://etcd:2379", Namespace: "dynamo"}
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 16*time.Second) // 3 ticks
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Equal([]schemas.Target{{Prefill: 2, Decode: 1}}, targets, "decision 0 acted on once")
	s.Equal([]int{0}, acks, "acknowledged once, when its worker was ready (tick 3)")
	s.False(st.Virtual.Pending)
	s.Contains(st.Last.Reason, "external: dynamo-virtual: no new decision (last 0)")
}

// A case with an external planner starts its environment after deploying
// and stops it before the deployment's teardown.
func (s *workflowSuite) TestCaseStartsAndStopsTheExternalPlannerEnv() {
	s.mockCase(func(context.Context, payload.DriveInput) (payload.DriveResult, error) {
		return payload.DriveResult{}, nil
	}, 30*time.Second)
	s.env.OnActivity(act.Summarize, mock.Anything, mock.Anything).Return(payload.ResultRef{Dir: "/r"}, nil)
	s.env.OnActivity(act.StartPlannerEnv, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.PlannerEnvInput) (payload.PlannerEnvRef, error) {
		s.record("start-env")
		s.Equal("python3 planner.py", in.External.Command)
		return payload.PlannerEnvRef{Node: "n1", Groups: []int{4242}}, nil
	})
	s.env.OnActivity(act.StopPlannerEnv, mock.Anything, mock.Anything).Return(func(_ context.Context, ref payload.PlannerEnvRef) error {
		s.record("stop-env")
		s.Equal([]int{4242}, ref.Groups)
		return nil
	})
	s.env.OnActivity(act.ExternalAsk, mock.Anything, mock.Anything).Return(payload.ExternalAskResult{Bad: "bad answer: test"}, nil).Maybe()
	c := testCase()
	c.Planner.Mode = schemas.PlannerExternal
	c.Planner.External = &schemas.ExternalPlanner{Protocol: schemas.ProtocolHTTP, URL: "http://127.0.0.1:9/", Command: "python3 planner.py"}
	s.env.ExecuteWorkflow(BenchmarkWorkflow, BenchmarkInput{Case: c})
	s.NoError(s.env.GetWorkflowError())
	s.Equal(1, s.called("start-env"))
	s.Equal(1, s.called("stop-env"))
	order := map[string]int{}
	for i, name := range s.calls {
		if _, ok := order[name]; !ok {
			order[name] = i
		}
	}
	s.Less(order["Deploy"], order["start-env"], "the planner starts after its deployment")
	s.Less(order["stop-env"], order["Teardown"], "and stops before it")
}
