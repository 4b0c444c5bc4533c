package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"plannerbench/activities/payload"
	"plannerbench/workflows"
)

// taskIdentities lists the worker identities that completed a workflow's
// workflow tasks.
func taskIdentities(t *testing.T, c client.Client, id string) map[string]int {
	iter := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	out := map[string]int{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			out[a.GetIdentity()]++
		}
	}
	return out
}

// onlyBuild requires every identity to carry the build ID.
func onlyBuild(t *testing.T, ids map[string]int, build, what string) {
	require.NotEmpty(t, ids, what)
	for id := range ids {
		require.True(t, strings.HasSuffix(id, "@"+build), "%s: workflow task completed by %s, not build %s", what, id, build)
	}
}

// TestWorkerVersioningPinsRunningBenchmarks starts a benchmark on build A
// of a Worker Deployment, then brings up build B (which becomes current)
// and kills A: the running benchmark waits for its own build rather than
// running on B, a new benchmark runs on B, and when an A worker returns the
// first one completes on A.
func TestWorkerVersioningPinsRunningBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	killSims(t, res)
	a := startWorker(t, srv.Address, res, "--deployment-name", "pb", "--build-id", "build-a")
	dh := c.WorkerDeploymentClient().GetHandle("pb")
	current := func() string {
		d, err := dh.Describe(context.Background(), client.WorkerDeploymentDescribeOptions{})
		if err != nil || d.Info.RoutingConfig.CurrentVersion == nil {
			return ""
		}
		return d.Info.RoutingConfig.CurrentVersion.BuildID
	}
	require.Eventually(t, func() bool { return current() == "build-a" }, time.Minute, 200*time.Millisecond)

	old := matrixInput(t, fmt.Sprintf(crashMatrix, "pinned"))
	oldRun := startMatrix(t, c, old)
	waitForLoad(t, c, "pinned", payload.CaseDir(res, "pinned", "planner"))

	startWorker(t, srv.Address, res, "--deployment-name", "pb", "--build-id", "build-b")
	require.Eventually(t, func() bool { return current() == "build-b" }, time.Minute, 200*time.Millisecond)
	a.kill()
	t.Log("build B is current; build A killed while its benchmark runs")

	fresh := matrixInput(t, fmt.Sprintf(crashMatrix, "fresh"))
	freshRun := startMatrix(t, c, fresh)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, freshRun.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	onlyBuild(t, taskIdentities(t, c, workflows.CaseID("fresh", "planner")), "build-b", "the new benchmark")

	// The pinned benchmark has not finished on B meanwhile.
	d, err := c.DescribeWorkflowExecution(context.Background(), workflows.CaseID("pinned", "planner"), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus(), "it waits for its build")

	startWorker(t, srv.Address, res, "--deployment-name", "pb", "--build-id", "build-a", "--promote=false")
	require.NoError(t, oldRun.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	onlyBuild(t, taskIdentities(t, c, workflows.CaseID("pinned", "planner")), "build-a", "the pinned benchmark")
	onlyBuild(t, taskIdentities(t, c, workflows.PlannerID("pinned", "planner")), "build-a", "its planner")
	require.Equal(t, "build-b", current(), "an old build coming back does not take over")
}
