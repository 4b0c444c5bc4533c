package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/tclient"
	"plannerbench/workflows"
)

// repoRoot is the module's root, two folders up from this package.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func temporalCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no tests against a real Temporal server")
	}
	for _, p := range []string{os.Getenv("PLANNERBENCH_TEMPORAL"), filepath.Join(repoRoot(), "bin", "temporal")} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	if os.Getenv("PLANNERBENCH_E2E") == "1" {
		t.Fatal("the Temporal CLI is missing: run `make temporal`")
	}
	t.Skip("the Temporal CLI is missing (make temporal builds it); skipping tests against a real server")
	return ""
}

// built is a binary of this repository, built once per test binary.
type built struct {
	once sync.Once
	path string
	err  error
}

// build builds package pkg (relative to the repository) as name, once.
func (b *built) build(t *testing.T, pkg, name string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "plannerbench-e2e-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	})
	require.NoError(t, b.err)
	return b.path
}

var workerBuild, cliBuild built

// workerBinary builds plannerbench-worker once per test binary.
func workerBinary(t *testing.T) string {
	t.Helper()
	return workerBuild.build(t, "./worker", "plannerbench-worker")
}

// cliBinary builds the plannerbench CLI once per test binary.
func cliBinary(t *testing.T) string {
	t.Helper()
	return cliBuild.build(t, "./starter", "plannerbench")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// devServer is a Temporal dev server process on its own ports and database.
type devServer struct {
	t       *testing.T
	cli     string
	db      string
	port    int
	ports   [2]int
	cmd     *exec.Cmd
	Address string
}

func startDevServer(t *testing.T) *devServer {
	s := &devServer{t: t, cli: temporalCLI(t), db: filepath.Join(t.TempDir(), "temporal.db"), port: freePort(t), ports: [2]int{freePort(t), freePort(t)}}
	s.Address = fmt.Sprintf("127.0.0.1:%d", s.port)
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *devServer) start() {
	args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1", "--db-filename", s.db, "--port", fmt.Sprint(s.port),
		"--http-port", fmt.Sprint(s.ports[0]), "--metrics-port", fmt.Sprint(s.ports[1]), "--log-level", "error"}
	for _, sa := range workflows.SearchAttributes {
		args = append(args, "--search-attribute", sa+"=Keyword")
	}
	s.cmd = exec.Command(s.cli, args...)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(s.t, s.cmd.Start())
	require.Eventually(s.t, func() bool {
		return exec.Command(s.cli, "operator", "cluster", "health", "--address", s.Address).Run() == nil
	}, 90*time.Second, 250*time.Millisecond, "dev server on %s", s.Address)
}

func (s *devServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// restart stops the server and starts it again on the same database file.
func (s *devServer) restart(downFor time.Duration) {
	s.stop()
	time.Sleep(downFor)
	s.start()
}

func (s *devServer) client(t *testing.T) client.Client {
	c, err := tclient.Dial(context.Background(), &tclient.Options{Address: s.Address, Namespace: "default"}, nil)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// workerProc is a plannerbench-worker process.
type workerProc struct {
	cmd *exec.Cmd
}

func startWorker(t *testing.T, address, results string, extra ...string) *workerProc {
	cmd := exec.Command(workerBinary(t), append([]string{"--address", address, "--results-dir", results, "--node", "e2e"}, extra...)...)
	log, err := os.OpenFile(filepath.Join(results, "worker.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	w := &workerProc{cmd: cmd}
	t.Cleanup(func() { w.stop(); log.Close() })
	return w
}

func (w *workerProc) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	_ = w.cmd.Wait()
}

func (w *workerProc) stop() {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
}

// killSims stops simulated deployments a test left behind.
func killSims(t *testing.T, results string) {
	t.Cleanup(func() {
		matches, _ := filepath.Glob(filepath.Join(results, "*", "*", casefolder.SimReadyFile))
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				continue
			}
			var ready simserver.Ready
			if json.Unmarshal(data, &ready) == nil && ready.PID > 0 {
				_ = syscall.Kill(-ready.PID, syscall.SIGKILL)
			}
		}
	})
}
