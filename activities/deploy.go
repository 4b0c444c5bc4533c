package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/schemas"
)

// Deploy ensures the case's deployment serves and returns its reference:
// the one recorded in the case folder when it still runs (a retry, or a
// worker that restarted), else a new one from the case's backend.
func (a *Activities) Deploy(ctx context.Context, in payload.DeployInput) (schemas.DeploymentRef, error) {
	d, err := a.deployer(in.Backend.Kind)
	if err != nil {
		return schemas.DeploymentRef{}, err
	}
	spec := a.spec(in)
	if ref, ok, err := d.Find(ctx, spec); err != nil {
		return schemas.DeploymentRef{}, classify(fmt.Errorf("find the deployment of %s: %w", spec.Dir, err))
	} else if ok {
		activity.GetLogger(ctx).Info("deployment already running", "url", ref.URL, "resource", ref.Resource)
		return ref, nil
	}
	ref, err := d.Up(ctx, spec, func(status string) {
		activity.RecordHeartbeat(ctx, status)
		activity.GetLogger(ctx).Info("deploying", "status", status)
	})
	if err != nil {
		return schemas.DeploymentRef{}, classify(fmt.Errorf("deploy %s on %s: %w", spec.Deployment, in.Backend.Kind, err))
	}
	return ref, nil
}

// Scale asks the deployment for the planner's target and returns its
// workers afterwards. A refusal (such as more GPUs than the machine has) is
// not retried: the planner decides again next interval.
func (a *Activities) Scale(ctx context.Context, in payload.ScaleInput) (schemas.Workers, error) {
	d, err := a.deployer(in.Deployment.Backend)
	if err != nil {
		return schemas.Workers{}, err
	}
	began := time.Now()
	w, err := d.Scale(ctx, in.Deployment, in.Target)
	if err == nil {
		w.AppliedAt = midpoint(began)
	}
	return w, classify(err)
}

// Workers reads a deployment's worker counts by state, as a blocking
// planner polls them while it waits for a change to take.
func (a *Activities) Workers(ctx context.Context, ref schemas.DeploymentRef) (schemas.Workers, error) {
	d, err := a.deployer(ref.Backend)
	if err != nil {
		return schemas.Workers{}, err
	}
	began := time.Now()
	s, err := d.Observe(ctx, ref)
	if err != nil {
		return schemas.Workers{}, classify(err)
	}
	w := schemas.WorkersOf(s)
	w.ReadAt = midpoint(began)
	return w, nil
}

// midpoint is halfway between began and now: when a call that began then
// most likely acted.
func midpoint(began time.Time) time.Time { return began.Add(time.Since(began) / 2) }

// Teardown stops a deployment. Stopping a stopped one is fine.
func (a *Activities) Teardown(ctx context.Context, ref schemas.DeploymentRef) error {
	d, err := a.deployer(ref.Backend)
	if err != nil {
		return err
	}
	return classify(d.Down(ctx, ref))
}
