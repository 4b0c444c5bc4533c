package simbackend_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/commands"
	"plannerbench/deploy"
	"plannerbench/deploy/backends"
	"plannerbench/schemas"
)

// serveEnv makes the test binary act as `plannerbench-worker sim serve`,
// so the Deployer can start it as the real worker starts itself.
const serveEnv = "PLANNERBENCH_TEST_SIM_SERVE"

func TestMain(m *testing.M) {
	commands.ActAs(serveEnv, commands.NewSim())
	os.Exit(m.Run())
}

func testDeployer(t *testing.T) deploy.Deployer {
	t.Helper()
	t.Setenv(serveEnv, "1")
	exe, err := os.Executable()
	require.NoError(t, err)
	d, err := backends.All().Get(schemas.BackendSim, deploy.Env{Executable: exe})
	require.NoError(t, err)
	return d
}

func spec(dir string, dep schemas.Deployment) deploy.Spec {
	return deploy.Spec{Dir: dir, Node: "n1", Model: schemas.DefaultModel,
		Backend:    schemas.Backend{Kind: schemas.BackendSim, Profile: "h100-llama8b"},
		Deployment: dep, TimeScale: 50, GPUsPerEngine: 1}
}

func pidOf(t *testing.T, ref schemas.DeploymentRef) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimPrefix(ref.Resource, "pid/"))
	require.NoError(t, err, ref.Resource)
	return pid
}

// TestSimDeployerLifecycle runs the simulator backend through the whole
// Deployer contract against a real `sim serve` process.
func TestSimDeployerLifecycle(t *testing.T) {
	d := testDeployer(t)
	ctx := context.Background()
	dir := t.TempDir()
	sp := spec(dir, schemas.Deployment{Prefill: 1, Decode: 1})

	_, found, err := d.Find(ctx, sp)
	require.NoError(t, err)
	require.False(t, found, "nothing recorded yet")

	var statuses []string
	ref, err := d.Up(ctx, sp, func(s string) { statuses = append(statuses, s) })
	require.NoError(t, err)
	require.NotEmpty(t, statuses, "Up reports what it waits for")
	require.Equal(t, schemas.BackendSim, ref.Backend)
	require.True(t, ref.Scalable)
	require.NotNil(t, ref.Perf)
	require.Equal(t, "h100-llama8b", ref.Perf.Name)
	pid := pidOf(t, ref)
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })

	// A worker that restarted finds the same deployment again.
	again, found, err := d.Find(ctx, sp)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, ref, again)
	// Another layout is another deployment.
	_, found, err = d.Find(ctx, spec(dir, schemas.Deployment{Prefill: 2, Decode: 2}))
	require.NoError(t, err)
	require.False(t, found)

	s, err := d.Observe(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, 1, s.PrefillWorkers)
	require.Equal(t, 1, s.DecodeWorkers)
	require.Equal(t, 2, s.GPUsHeld)

	w, err := d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 1})
	require.NoError(t, err)
	require.Equal(t, schemas.Workers{PrefillReady: 1, DecodeReady: 1, PrefillStarting: 1, NumGPU: 3}, w)
	w, err = d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 1})
	require.NoError(t, err)
	require.Equal(t, 1, w.PrefillStarting, "a retried target changes nothing")
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 4, Decode: 5})
	require.ErrorIs(t, err, deploy.ErrRefused, "9 GPUs on an 8-GPU graph")

	require.NoError(t, d.Down(ctx, ref))
	require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil }, 5*time.Second, 20*time.Millisecond, "the process group is gone")
	var st struct{ Stopped bool }
	data, err := os.ReadFile(filepath.Join(dir, deploy.StateFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &st))
	require.True(t, st.Stopped)
	_, found, err = d.Find(ctx, sp)
	require.NoError(t, err)
	require.False(t, found, "a stopped deployment is not found again")
	require.NoError(t, d.Down(ctx, ref), "a second Down is fine")
}

func TestSimDeployerInvalidSpec(t *testing.T) {
	d := testDeployer(t)
	sp := spec(t.TempDir(), schemas.Deployment{Prefill: 1, Decode: 1})
	sp.Backend.Profile = "no-such-profile"
	_, err := d.Up(context.Background(), sp, nil)
	require.ErrorIs(t, err, deploy.ErrInvalid)
	require.Contains(t, err.Error(), "no-such-profile")

	_, err = backends.All().Get("no-such-backend", deploy.Env{})
	require.ErrorIs(t, err, deploy.ErrInvalid)
	require.Contains(t, err.Error(), "known: dynamo, endpoint, sim")
	require.False(t, errors.Is(err, deploy.ErrRefused))
}
