package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"plannerbench/activities/payload"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// plannerTaskTimeout is the planner child's workflow task timeout.
const plannerTaskTimeout = 3 * time.Second

// maxNodeMoves bounds how often a case redeploys after losing its node.
const maxNodeMoves = 2

// BenchmarkWorkflow runs one case: synthesize the trace, deploy, start the
// planner, drive the load while collecting metrics, stop the planner, tear
// the deployment down (always), and summarize.
func BenchmarkWorkflow(ctx workflow.Context, in BenchmarkInput) (BenchmarkResult, error) {
	ctx = waitingForCancellation(ctx)
	ctx = withNodeLostAfter(ctx, in.Case.NodeLostAfter.D())
	b := &benchmark{ctx: ctx, in: in, c: in.Case, progress: CaseProgress{Case: in.Case.ID, Stage: StageScheduling}}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (CaseProgress, error) { return b.progress, nil }); err != nil {
		return BenchmarkResult{}, err
	}
	b.listenForProgress()
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(SABenchMatrix).ValueSet(b.c.Matrix),
		temporal.NewSearchAttributeKeyKeyword(SABenchCase).ValueSet(b.c.ID),
		temporal.NewSearchAttributeKeyKeyword(SADeployment).ValueSet(b.c.Deployment.String()),
		temporal.NewSearchAttributeKeyKeyword(SAPlannerMode).ValueSet(b.c.Planner.Mode))
	res, err := b.run()
	if err != nil {
		b.progress.Error = err.Error()
		b.stage(StageFailed)
		return res, err
	}
	b.stage(StageDone)
	return res, nil
}

type benchmark struct {
	ctx      workflow.Context
	in       BenchmarkInput
	c        schemas.Case
	progress CaseProgress
	node     string
	dep      *schemas.DeploymentRef
	penv     *payload.PlannerEnvRef // an external planner's environment
	start    time.Time              // the case's t0: the trace's time zero
}

func (b *benchmark) caseRef() payload.CaseRef {
	return payload.CaseRef{Matrix: b.c.Matrix, Case: b.c.ID}
}

// stage records the stage in the progress query, the BenchStage search
// attribute and the details the UI shows.
func (b *benchmark) stage(s string) {
	b.progress.Stage = s
	ctx := b.ctx
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword(SABenchStage).ValueSet(s))
	b.details()
}

func (b *benchmark) details() {
	p := b.progress.Progress
	workflow.SetCurrentDetails(b.ctx, fmt.Sprintf("**%s** — stage `%s`\n\nrequests %d/%d sent, %d done, %d errors · lateness p99 %.2f ms\n\nworkers: %d prefill + %d decode ready, %d + %d starting · %d GPUs",
		b.c.ID, b.progress.Stage, p.Sent, p.Total, p.Done, p.Errors, p.LatenessP99MS,
		p.Workers.PrefillReady, p.Workers.DecodeReady, p.Workers.PrefillStarting, p.Workers.DecodeStarting, p.Workers.NumGPU))
}

func (b *benchmark) listenForProgress() {
	ch := workflow.GetSignalChannel(b.ctx, payload.ProgressSignal)
	workflow.Go(b.ctx, func(ctx workflow.Context) {
		for {
			var p payload.Progress
			if !ch.Receive(ctx, &p) {
				return
			}
			b.progress.Progress = p
			b.details()
		}
	})
}

func (b *benchmark) run() (BenchmarkResult, error) {
	var res BenchmarkResult
	defer b.teardown() // also on failure and cancellation
	for moves := 0; ; moves++ {
		err := b.attempt(&res)
		if err == nil || moves >= maxNodeMoves || !nodeLost(err) {
			if err != nil {
				return res, err
			}
			break
		}
		workflow.GetLogger(b.ctx).Warn("node lost, redeploying elsewhere", "node", b.node, "error", err)
		b.teardown()
	}
	b.stage(StageSummarize)
	var ref payload.ResultRef
	err := workflow.ExecuteActivity(nodeOptions(b.ctx, b.node, 10*time.Minute, 0, 3), payload.SummarizeActivity, payload.SummarizeInput{
		Case: b.caseRef(), Spec: b.c, T0: b.t0(), TimeScale: b.c.TimeScale,
	}).Get(b.ctx, &ref)
	res.Result = ref
	return res, err
}

// t0 is recorded in the progress so Summarize can place the timeline.
func (b *benchmark) t0() time.Time { return b.start }

// attempt schedules the case on a node and runs it up to the planner's stop.
func (b *benchmark) attempt(res *BenchmarkResult) error {
	ctx := b.ctx
	b.stage(StageScheduling)
	if err := workflow.ExecuteActivity(sharedOptions(ctx), payload.NodeQueueActivity).Get(ctx, &b.node); err != nil {
		return err
	}
	b.stage(StageSynthesize)
	var trace schemas.TraceRef
	err := workflow.ExecuteActivity(nodeOptions(ctx, b.node, 15*time.Minute, time.Minute, 3), payload.SynthesizeTraceActivity,
		payload.SynthesizeInput{Case: b.caseRef(), Trace: b.c.Trace}).Get(ctx, &trace)
	if err != nil {
		return err
	}
	b.stage(StageDeploy)
	var dep schemas.DeploymentRef
	err = workflow.ExecuteActivity(nodeOptions(ctx, b.node, 2*time.Minute, 0, 3), payload.DeployActivity, payload.DeployInput{
		Case: b.caseRef(), Model: b.c.Model, Backend: b.c.Backend, Deployment: b.c.Deployment,
		TimeScale: b.c.TimeScale, GPUsPerEngine: b.c.Planner.PrefillEngineNumGPU,
	}).Get(ctx, &dep)
	if err != nil {
		return err
	}
	b.dep = &dep
	if planner.IsExternal(b.c.Planner.Mode) && b.c.Planner.External != nil {
		var env payload.PlannerEnvRef
		err = workflow.ExecuteActivity(nodeOptions(ctx, b.node, 3*time.Minute, 0, 2), payload.StartPlannerEnvActivity, payload.PlannerEnvInput{
			Case: b.caseRef(), Deployment: dep, External: *b.c.Planner.External,
		}).Get(ctx, &env)
		if err != nil {
			return fmt.Errorf("external planner: %w", err)
		}
		b.penv = &env
	}

	b.stage(StageLoad)
	lead := b.in.Lead
	if lead <= 0 {
		lead = time.Second
	}
	b.start = workflow.Now(ctx).Add(lead)
	plannerFut := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        PlannerID(b.c.Matrix, b.c.ID),
		TaskQueue:         payload.SharedQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_TERMINATE,
		// A worker killed while it holds one of the planner's (tiny)
		// workflow tasks delays the next tick by this timeout before another
		// worker gets the task; the default 10 s would stall the planner
		// for four ticks at 4x.
		WorkflowTaskTimeout: plannerTaskTimeout,
		// Cancelled with the benchmark, it is waited for (options.go).
		WaitForCancellation: waitsForCancellation(ctx),
	}), PlannerWorkflowName, PlannerInput{Case: b.caseRef(), Deployment: dep, NodeQueue: b.node, Config: b.c.Planner, T0: b.start, Env: b.penv,
		NodeLostAfter: b.c.NodeLostAfter.D()})
	loadTimeout := b.loadWallTime() + 30*time.Minute
	collectCtx, stopCollect := workflow.WithCancel(ctx)
	collectFut := workflow.ExecuteActivity(nodeOptions(collectCtx, b.node, loadTimeout, 10*time.Second, 10), payload.CollectMetricsActivity,
		payload.CollectInput{Case: b.caseRef(), Deployment: dep, T0: b.start, PullInterval: b.c.Planner.MetricPullingInterval.D()})
	driveErr := workflow.ExecuteActivity(nodeOptions(ctx, b.node, loadTimeout, 10*time.Second, 10), payload.DriveLoadActivity,
		payload.DriveInput{Case: b.caseRef(), Deployment: dep, Trace: trace, T0: b.start, BlockSize: blockSize(b.c)}).Get(ctx, &res.Load)

	b.stage(StageStopping)
	_ = plannerFut.SignalChildWorkflow(ctx, StopSignal, nil).Get(ctx, nil)
	if err := plannerFut.Get(ctx, &res.Planner); err != nil && driveErr == nil {
		driveErr = fmt.Errorf("planner: %w", err)
	}
	stopCollect()
	if err := collectFut.Get(ctx, nil); err != nil && !temporal.IsCanceledError(err) && driveErr == nil {
		workflow.GetLogger(ctx).Warn("metric collection ended with an error", "error", err)
	}
	if driveErr != nil {
		return driveErr
	}
	b.teardown()
	return nil
}

// teardown stops the deployment, once, even when the workflow is failing
// or cancelled.
func (b *benchmark) teardown() {
	if b.penv != nil { // the planner goes first, with its etcd and Prometheus
		env := *b.penv
		b.penv = nil
		ctx, _ := workflow.NewDisconnectedContext(b.ctx)
		if err := workflow.ExecuteActivity(nodeOptions(ctx, payload.NodeQueue(env.Node), time.Minute, 0, 5), payload.StopPlannerEnvActivity, env).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("stopping the external planner failed", "error", err)
		}
	}
	if b.dep == nil {
		return
	}
	dep := *b.dep
	b.dep = nil
	ctx, _ := workflow.NewDisconnectedContext(b.ctx)
	b.stage(StageTeardown)
	if err := workflow.ExecuteActivity(nodeOptions(ctx, payload.NodeQueue(dep.Node), time.Minute, 0, 5), payload.TeardownActivity, dep).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("teardown failed", "error", err)
	}
}

// loadWallTime estimates how long the load takes in wall time.
func (b *benchmark) loadWallTime() time.Duration {
	if s := b.c.Trace.Synth; s != nil && b.c.TimeScale > 0 {
		return time.Duration(float64(s.TimeDuration) / b.c.TimeScale * float64(time.Second) * 2)
	}
	return 24 * time.Hour
}

func blockSize(c schemas.Case) int {
	if c.Trace.Synth != nil {
		return c.Trace.Synth.BlockSize
	}
	return 512
}

// nodeLost reports an activity that no worker of its node picked up in time.
func nodeLost(err error) bool {
	var te *temporal.TimeoutError
	return errors.As(err, &te) && te.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START
}
