package workflows

import (
	"context"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"

	"plannerbench/activities/payload"
	"plannerbench/schemas"
)

// A removal blocks until the worker has drained: one poll 1 s of trace
// time later sees it gone (a poll's answer omits zero counts, so each is
// read into a fresh value; reading into the last one kept the draining
// count and waited the whole 600 s), then the next change is applied.
func (s *workflowSuite) TestPlannerWaitsForARemovedWorkerToDrain() {
	in := plannerInput()
	s.env.SetStartTime(in.T0)
	var mu sync.Mutex
	var scales []schemas.Target
	polls := 0
	s.env.OnActivity(act.Observe, mock.Anything, mock.Anything).Return(func(_ context.Context, o payload.ObserveInput) ([]schemas.Sample, error) {
		return []schemas.Sample{{At: o.To, PrefillWorkers: 2, DecodeWorkers: 3, KVLoads: []float64{0.01, 0.01, 0.01}}}, nil
	})
	s.env.OnActivity(act.Scale, mock.Anything, mock.Anything).Return(func(_ context.Context, in payload.ScaleInput) (schemas.Workers, error) {
		mu.Lock()
		defer mu.Unlock()
		scales = append(scales, in.Target)
		return schemas.Workers{PrefillReady: in.Target.Prefill, DecodeReady: in.Target.Decode, PrefillDraining: 1}, nil
	})
	s.env.OnActivity(act.Workers, mock.Anything, mock.Anything).Return(func(context.Context, schemas.DeploymentRef) (schemas.Workers, error) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		t := scales[len(scales)-1]
		return schemas.Workers{PrefillReady: t.Prefill, DecodeReady: t.Decode}, nil
	})
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(StopSignal, nil) }, 9*time.Second)
	s.env.ExecuteWorkflow(PlannerWorkflow, in)
	s.NoError(s.env.GetWorkflowError())
	var st PlannerState
	s.NoError(s.env.GetWorkflowResult(&st))
	s.Equal([]schemas.Target{{Prefill: 1, Decode: 3}, {Prefill: 1, Decode: 2}}, scales, "prefill -1, then decode -1")
	s.Equal(1, polls)
	s.Contains(st.Last.Reason, "prefill -1 gone after 1 s; decode -1 gone after 0 s")
}
