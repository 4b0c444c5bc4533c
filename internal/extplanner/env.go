package extplanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"plannerbench/internal/casefolder"
)

// The processes an external planner may need beside the deployment, each
// started in its own process group with its files in the case folder.

// ErrNoPrometheus: a Prometheus was asked to be started and no
// `prometheus` binary is on PATH.
var ErrNoPrometheus = errors.New("no prometheus binary on PATH (apt-get install prometheus), or name a server's URL")

// How long each process may take to be ready.
const (
	etcdReadyTimeout       = 30 * time.Second
	prometheusReadyTimeout = 60 * time.Second
	readyPoll              = 100 * time.Millisecond
)

// StartEtcdProcess runs `EXE etcd serve` (commands/) for a case,
// its data and log in dir, and returns its process group and client URL
// once it is ready.
func StartEtcdProcess(ctx context.Context, exe, dir string) (int, string, error) {
	ready := filepath.Join(dir, casefolder.EtcdReadyFile)
	_ = os.Remove(ready)
	logPath := filepath.Join(dir, casefolder.EtcdLogFile)
	p, err := Start(dir, fmt.Sprintf("exec %q etcd serve --data-dir %q --ready-file %q", exe, filepath.Join(dir, casefolder.EtcdDataDir), ready), nil, logPath)
	if err != nil {
		return 0, "", err
	}
	url, err := waitReady(ctx, p, "etcd", logPath, etcdReadyTimeout, func() (string, bool) {
		var r struct {
			URL string `json:"url"`
		}
		data, err := os.ReadFile(ready)
		return r.URL, err == nil && json.Unmarshal(data, &r) == nil && r.URL != ""
	})
	return p.Pid(), url, err
}

// StartPrometheus runs a Prometheus server (the `prometheus` binary on
// PATH, Debian's package) scraping metricsURLs every second, its data,
// configuration and log in dir, and returns its process group and URL
// once it is ready. Without a binary it returns ErrNoPrometheus.
func StartPrometheus(ctx context.Context, dir string, metricsURLs []string) (int, string, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return 0, "", ErrNoPrometheus
	}
	cfg, err := PrometheusConfig(metricsURLs)
	if err != nil {
		return 0, "", err
	}
	cfgPath := filepath.Join(dir, casefolder.PrometheusConfigFile)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return 0, "", err
	}
	port, err := freePort()
	if err != nil {
		return 0, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, casefolder.PrometheusLogFile)
	cmd := fmt.Sprintf("exec %q --config.file=%q --storage.tsdb.path=%q --web.listen-address=%s", bin, cfgPath, filepath.Join(dir, casefolder.PrometheusDataDir), addr)
	p, err := Start(dir, cmd, nil, logPath)
	if err != nil {
		return 0, "", err
	}
	url, err := waitReady(ctx, p, "prometheus", logPath, prometheusReadyTimeout, func() (string, bool) {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return "", false
		}
		resp.Body.Close()
		return "http://" + addr, resp.StatusCode == http.StatusOK
	})
	return p.Pid(), url, err
}

// StopGroups stops process groups started here (a group already gone is
// fine), each given grace to exit after SIGTERM.
func StopGroups(groups []int, grace time.Duration) {
	for _, g := range groups {
		if g > 1 {
			StopGroup(g, grace, nil)
		}
	}
}

// prometheusConfig is the part of Prometheus's configuration file
// (prometheus.io/docs/prometheus/latest/configuration/configuration/)
// that plannerbench writes.
type prometheusConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

type scrapeConfig struct {
	JobName       string         `yaml:"job_name"`
	MetricsPath   string         `yaml:"metrics_path"`
	StaticConfigs []staticConfig `yaml:"static_configs"`
}

type staticConfig struct {
	Targets []string `yaml:"targets"`
}

// PrometheusConfig is a configuration scraping the given /metrics URLs
// every second (a deployment's frontend and worker metrics), one job a URL.
func PrometheusConfig(metricsURLs []string) ([]byte, error) {
	var c prometheusConfig
	c.Global.ScrapeInterval, c.Global.EvaluationInterval = "1s", "1s"
	for i, raw := range metricsURLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("prometheus: metrics URL %q: not an absolute URL", raw)
		}
		path := u.Path
		if path == "" {
			path = "/metrics"
		}
		c.ScrapeConfigs = append(c.ScrapeConfigs, scrapeConfig{
			JobName: fmt.Sprintf("deployment-%d", i), MetricsPath: path,
			StaticConfigs: []staticConfig{{Targets: []string{u.Host}}},
		})
	}
	return yaml.Marshal(c)
}

// waitReady polls ready until it says so (returning its URL), the process
// exits, ctx ends or timeout passes; errors name the process's log.
func waitReady(ctx context.Context, p *Process, what, logPath string, timeout time.Duration, ready func() (string, bool)) (string, error) {
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
		case <-time.After(readyPoll):
		}
	}
	return "", fmt.Errorf("%s not ready after %s; see %s", what, timeout, logPath)
}

// freePort is a loopback port free when asked (the OS's choice).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
