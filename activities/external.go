package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/extplanner"
	"plannerbench/schemas"
)

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
		stopGroups(old.Groups)
	}
	ref := payload.PlannerEnvRef{Case: in.Case, Node: a.Node}
	save := func() error { return atomicfile.WriteJSON(filepath.Join(dir, payload.PlannerEnvFile), ref) }
	fail := func(err error) (payload.PlannerEnvRef, error) {
		stopGroups(ref.Groups)
		ref.Groups = nil
		_ = save()
		return payload.PlannerEnvRef{}, err
	}
	ext := in.External
	env := []string{"PLANNERBENCH_URL=" + in.Deployment.URL, "PLANNERBENCH_METRICS=" + strings.Join(in.Deployment.MetricsURLs, ",")}
	if ext.Protocol == schemas.ProtocolDynamoVirtual {
		ref.Namespace, ref.Etcd = ext.NamespaceOrDefault(), ext.Etcd
		if ref.Etcd == "" {
			pgid, endpoint, err := a.startEtcd(ctx, dir)
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
			pgid, url, err := startPrometheus(ctx, dir, in.Deployment)
			if pgid > 0 {
				ref.Groups = append(ref.Groups, pgid)
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
		p, err := extplanner.Start(dir, ext.Command, env, filepath.Join(dir, "planner.log"))
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
				return fail(validationError("external planner: %v (log: %s)", err, filepath.Join(dir, "planner.log")))
			}
		}
		activity.GetLogger(ctx).Info("external planner started", "pid", p.Pid(), "log", filepath.Join(dir, "planner.log"))
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
	stopGroups(groups)
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
	data, err := os.ReadFile(filepath.Join(dir, payload.PlannerEnvFile))
	if err != nil {
		return ref, err
	}
	return ref, json.Unmarshal(data, &ref)
}

func stopGroups(groups []int) {
	for _, g := range groups {
		if g > 1 {
			extplanner.StopGroup(g, 5*time.Second, nil)
		}
	}
}

// startEtcd runs `plannerbench etcd serve` for the case (its data in the
// case folder) and returns its process group and client endpoint.
func (a *Activities) startEtcd(ctx context.Context, dir string) (int, string, error) {
	ready := filepath.Join(dir, "etcd-ready.json")
	_ = os.Remove(ready)
	p, err := extplanner.Start(dir, fmt.Sprintf("exec %q etcd serve --data-dir %q --ready-file %q", a.Env.Executable, filepath.Join(dir, "etcd"), ready),
		nil, filepath.Join(dir, "etcd.log"))
	if err != nil {
		return 0, "", err
	}
	url, err := waitReady(ctx, p, "etcd", filepath.Join(dir, "etcd.log"), 30*time.Second, func() (string, bool) {
		var r struct {
			URL string `json:"url"`
		}
		data, err := os.ReadFile(ready)
		return r.URL, err == nil && json.Unmarshal(data, &r) == nil && r.URL != ""
	})
	return p.Pid(), url, err
}

// startPrometheus runs a Prometheus server (the `prometheus` binary on
// PATH, Debian's package) scraping the deployment's metrics every second,
// and returns its process group and URL once it is ready.
func startPrometheus(ctx context.Context, dir string, ref schemas.DeploymentRef) (int, string, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return 0, "", validationError("external.prometheus: start needs a prometheus binary on PATH (apt-get install prometheus), or name a server's URL")
	}
	port, err := freePort()
	if err != nil {
		return 0, "", err
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(PrometheusConfig(ref.MetricsURLs)), 0o644); err != nil {
		return 0, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := fmt.Sprintf("exec %q --config.file=%q --storage.tsdb.path=%q --web.listen-address=%s", bin, cfgPath, filepath.Join(dir, "prometheus-data"), addr)
	p, err := extplanner.Start(dir, cmd, nil, filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return 0, "", err
	}
	url, err := waitReady(ctx, p, "prometheus", filepath.Join(dir, "prometheus.log"), 60*time.Second, func() (string, bool) {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return "", false
		}
		resp.Body.Close()
		return "http://" + addr, resp.StatusCode == http.StatusOK
	})
	return p.Pid(), url, err
}

// waitReady polls ready until it says so (returning its URL), the process
// exits, ctx ends or timeout passes; errors name the process's log.
func waitReady(ctx context.Context, p *extplanner.Process, what, logPath string, timeout time.Duration, ready func() (string, bool)) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if url, ok := ready(); ok {
			return url, nil
		}
		if exited, perr := p.Exited(); exited {
			return "", fmt.Errorf("%s exited (%v); see %s", what, perr, logPath)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s not ready after %s; see %s", what, timeout, logPath)
}

// PrometheusConfig scrapes the given /metrics URLs every second (the
// simulator's Dynamo-named frontend and worker metrics).
func PrometheusConfig(metricsURLs []string) string {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
	for i, u := range metricsURLs {
		host, path := u, "/metrics"
		if k := strings.Index(u, "://"); k >= 0 {
			host = u[k+3:]
		}
		if k := strings.Index(host, "/"); k >= 0 {
			host, path = host[:k], host[k:]
		}
		fmt.Fprintf(&b, "  - job_name: deployment-%d\n    metrics_path: %s\n    static_configs:\n      - targets: [%q]\n", i, path, host)
	}
	return b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
