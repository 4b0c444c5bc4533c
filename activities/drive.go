package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/loadgen"
	"plannerbench/schemas"
)

// progressEvery spaces DriveLoad's progress signals in wall time, keeping a
// case's history short.
const progressEvery = 10 * time.Second

// DriveLoad replays the case's trace against its deployment. It heartbeats
// its resume point every second; a retry (after a worker crash, say)
// continues the same schedule from the last heartbeat: requests lost in
// flight are recorded as interrupted, those whose time passed as skipped.
func (a *Activities) DriveLoad(ctx context.Context, in payload.DriveInput) (payload.DriveResult, error) {
	info := activity.GetInfo(ctx)
	resume := loadgen.ResumePoint{T0: in.T0}
	if activity.HasHeartbeatDetails(ctx) {
		var p loadgen.ResumePoint
		if err := activity.GetHeartbeatDetails(ctx, &p); err == nil && !p.T0.IsZero() {
			resume = p
		}
	}
	cfg := loadgen.Config{
		URL: in.Deployment.URL, Model: in.Deployment.Model, TimeScale: in.Deployment.TimeScale,
		BlockSize: in.BlockSize, Attempt: info.Attempt, T0: in.T0,
	}
	if in.Deployment.APIKeyEnv != "" {
		// Read here, on the worker: only the variable's name travels.
		cfg.APIKey = os.Getenv(in.Deployment.APIKeyEnv)
	}
	stopGPUs := a.sampleGPUs(ctx, a.caseDir(in.Case), in.Deployment)
	defer stopGPUs()
	var lastSignal time.Time
	res, err := loadgen.Run(ctx, cfg, in.Trace.Path, filepath.Join(a.caseDir(in.Case), casefolder.RequestsDir), &resume, func(p loadgen.Progress) {
		activity.RecordHeartbeat(ctx, p.Resume)
		if time.Since(lastSignal) >= progressEvery || p.Done+p.Errors+p.Skipped+p.Interrupted >= int64(p.Total) {
			lastSignal = time.Now()
			a.signalProgress(ctx, in, p)
		}
	})
	out := payload.DriveResult{Total: res.Total, Sent: res.Sent, Done: res.Done, Errors: res.Errors, Skipped: res.Skipped,
		Interrupted: res.Interrupted, LatenessP50MS: res.Lateness.P50, LatenessP99MS: res.Lateness.P99, LatenessMaxMS: res.Lateness.Max}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return out, err
		}
		var le *schemas.LineError
		if errors.As(err, &le) {
			return out, asValidation(err) // a malformed trace never gets better
		}
		return out, err
	}
	return out, nil
}

func (a *Activities) signalProgress(ctx context.Context, in payload.DriveInput, p loadgen.Progress) {
	if a.Client == nil {
		return
	}
	info := activity.GetInfo(ctx)
	prog := payload.Progress{Sent: p.Sent, Done: p.Done, Errors: p.Errors, Total: p.Total, LatenessP99MS: p.LatenessP99MS}
	if s, err := a.scrape(ctx, in.Deployment); err == nil {
		prog.Workers = schemas.WorkersOf(s)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Client.SignalWorkflow(sctx, info.WorkflowExecution.ID, "", payload.ProgressSignal, prog); err != nil {
		activity.GetLogger(ctx).Warn("progress signal failed", "error", err)
	}
}
