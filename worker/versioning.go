package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// versioning is Temporal Worker Versioning for the worker: with a
// deployment name, the worker is one build (build ID) of that Worker
// Deployment, its workflows are pinned to the build that started them (a
// running benchmark keeps running on its own build while a new one takes
// the new benchmarks), and, when promote is set, the worker makes its
// build the deployment's current version once it polls.
type versioning struct {
	deployment, buildID string
	promote             bool
}

// defaultBuildID is the binary's VCS revision (with "-dirty" for local
// changes), or "dev" when the build recorded none.
func defaultBuildID() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// options returns the worker options for this build.
func (v versioning) options() worker.Options {
	if v.deployment == "" {
		return worker.Options{}
	}
	host, _ := os.Hostname()
	return worker.Options{
		Identity: fmt.Sprintf("%d@%s@%s", os.Getpid(), host, v.buildID),
		DeploymentOptions: worker.DeploymentOptions{
			UseVersioning:             true,
			Version:                   worker.WorkerDeploymentVersion{DeploymentName: v.deployment, BuildID: v.buildID},
			DefaultVersioningBehavior: workflow.VersioningBehaviorPinned,
		},
	}
}

// promoteWhenPolled makes this build the deployment's current version; the
// server accepts it once the build's pollers are registered, so it retries
// for up to a minute.
func (v versioning) promoteWhenPolled(ctx context.Context, c client.Client, log *slog.Logger) error {
	if v.deployment == "" || !v.promote {
		return nil
	}
	h := c.WorkerDeploymentClient().GetHandle(v.deployment)
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: v.buildID, IgnoreMissingTaskQueues: true})
		if err == nil {
			log.Info("this build is the deployment's current version", "deployment", v.deployment, "build_id", v.buildID)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("make build %s current in worker deployment %s: %w", v.buildID, v.deployment, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}
