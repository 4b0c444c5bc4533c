package activities

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/extplanner"
	"plannerbench/schemas"
)

// stopGrace is how long a stopped process group has to exit after SIGTERM.
const stopGrace = 5 * time.Second

// StartPlannerEnv starts what an external planner needs beside the
// deployment: for dynamo-virtual an etcd (embedded, in a process of its
// own, unless the matrix names one; its planner keys cleared) and a
// Prometheus when asked; then the planner's command, if any. Everything it
// starts runs in its own process group, recorded in the case folder so
// StopPlannerEnv (with the deployment's teardown) stops it even after a
// worker restart. A retried start first stops what the last try left.
func (a *Activities) StartPlannerEnv(ctx context.Context, in payload.PlannerEnvInput) (payload.PlannerEnvRef, error) {
	dir := a.caseDir(in.Case)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return payload.PlannerEnvRef{}, err
	}
	if old, err := readPlannerEnv(dir); err == nil {
		extplanner.StopGroups(old.Groups, stopGrace)
	}
	ref := payload.PlannerEnvRef{Case: in.Case, Node: a.Node}
	save := func() error { return atomicfile.WriteJSON(filepath.Join(dir, casefolder.PlannerEnvFile), ref) }
	fail := func(err error) (payload.PlannerEnvRef, error) {
		extplanner.StopGroups(ref.Groups, stopGrace)
		ref.Groups = nil
		_ = save()
		return payload.PlannerEnvRef{}, err
	}
	ext := in.External
	env := []string{"PLANNERBENCH_URL=" + in.Deployment.URL, "PLANNERBENCH_METRICS=" + strings.Join(in.Deployment.MetricsURLs, ",")}
	if ext.Protocol == schemas.ProtocolDynamoVirtual {
		ref.Namespace, ref.Etcd = ext.NamespaceOrDefault(), ext.Etcd
		if ref.Etcd == "" {
			pgid, endpoint, err := extplanner.StartEtcdProcess(ctx, a.Env.Executable, dir)
			if pgid > 0 {
				ref.Groups = append(ref.Groups, pgid)
			}
			if err != nil {
				return fail(err)
			}
			ref.Etcd = endpoint
			if err := save(); err != nil {
				return fail(err)
			}
		}
		v, err := extplanner.DialVirtual(ref.Etcd, ref.Namespace)
		if err != nil {
			return fail(err)
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = v.Reset(rctx)
		cancel()
		v.Close()
		if err != nil {
			return fail(err)
		}
		switch ext.Prometheus {
		case "":
		case schemas.PrometheusStart:
			pgid, url, err := extplanner.StartPrometheus(ctx, dir, in.Deployment.MetricsURLs)
			if pgid > 0 {
				ref.Groups = append(ref.Groups, pgid)
			}
			if errors.Is(err, extplanner.ErrNoPrometheus) {
				return fail(validationError("external.prometheus: start: %v", err))
			}
			if err != nil {
				return fail(err)
			}
			ref.Prometheus = url
		default:
			ref.Prometheus = ext.Prometheus
		}
		env = append(env, "ETCD_ENDPOINTS="+ref.Etcd, "PLANNERBENCH_NAMESPACE="+ref.Namespace, "DYN_NAMESPACE="+ref.Namespace,
			"PLANNERBENCH_PROMETHEUS="+ref.Prometheus)
	}
	if ext.Command != "" {
		p, err := extplanner.Start(dir, ext.Command, env, filepath.Join(dir, casefolder.PlannerLogFile))
		if err != nil {
			return fail(validationError("external.command: %v", err))
		}
		ref.Groups = append(ref.Groups, p.Pid())
		if err := save(); err != nil {
			return fail(err)
		}
		if ext.Protocol == schemas.ProtocolHTTP {
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := extplanner.WaitListening(wctx, ext.URL, p)
			cancel()
			if err != nil {
				return fail(validationError("external planner: %v (log: %s)", err, filepath.Join(dir, casefolder.PlannerLogFile)))
			}
		}
		activity.GetLogger(ctx).Info("external planner started", "pid", p.Pid(), "log", filepath.Join(dir, casefolder.PlannerLogFile))
	}
	return ref, save()
}

// StopPlannerEnv stops the process groups an external planner's
// environment started. Stopping a stopped one is fine.
func (a *Activities) StopPlannerEnv(ctx context.Context, ref payload.PlannerEnvRef) error {
	groups := ref.Groups
	if saved, err := readPlannerEnv(a.caseDir(ref.Case)); err == nil {
		groups = append(groups, saved.Groups...)
	}
	extplanner.StopGroups(groups, stopGrace)
	return nil
}

// ExternalAsk asks an HTTP planner about one interval; a bad answer is a
// result (recorded, no change), not a failure.
func (a *Activities) ExternalAsk(ctx context.Context, in payload.ExternalAskInput) (payload.ExternalAskResult, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = schemas.DefaultExternalTimeout
	}
	ans, err := extplanner.Ask(ctx, a.plannerClient(), in.URL, timeout, in.Request)
	if err != nil {
		var bad *extplanner.BadAnswerError
		if errors.As(err, &bad) {
			return payload.ExternalAskResult{Bad: err.Error()}, nil
		}
		return payload.ExternalAskResult{}, err
	}
	return payload.ExternalAskResult{Answer: &ans}, nil
}

// plannerClient is the HTTP client for external planners: the shared one
// without its overall timeout (each call has its own).
func (a *Activities) plannerClient() *http.Client {
	c := *a.Env.Client()
	c.Timeout = 0
	return &c
}

// VirtualPoll reads a Dynamo planner's decision keys.
func (a *Activities) VirtualPoll(ctx context.Context, in payload.VirtualInput) (schemas.VirtualKeys, error) {
	v, err := extplanner.DialVirtual(in.Etcd, in.Namespace)
	if err != nil {
		return schemas.NoVirtualKeys, err
	}
	defer v.Close()
	return v.Read(ctx)
}

// VirtualComplete acknowledges a Dynamo planner's decision.
func (a *Activities) VirtualComplete(ctx context.Context, in payload.VirtualInput) error {
	v, err := extplanner.DialVirtual(in.Etcd, in.Namespace)
	if err != nil {
		return err
	}
	defer v.Close()
	return v.Complete(ctx, in.DecisionID)
}

func readPlannerEnv(dir string) (payload.PlannerEnvRef, error) {
	var ref payload.PlannerEnvRef
	data, err := os.ReadFile(filepath.Join(dir, casefolder.PlannerEnvFile))
	if err != nil {
		return ref, err
	}
	return ref, json.Unmarshal(data, &ref)
}
