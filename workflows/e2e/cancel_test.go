package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"plannerbench/workflows"
)

// requireClosedCleanly requires every workflow id closed with no activity
// and no child workflow still pending: what the Temporal UI shows as
// "Pending Activities" on a closed workflow's page. It returns each one's
// status.
func requireClosedCleanly(t *testing.T, c client.Client, ids ...string) map[string]enumspb.WorkflowExecutionStatus {
	t.Helper()
	out := map[string]enumspb.WorkflowExecutionStatus{}
	for _, id := range ids {
		desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err, id)
		st := desc.GetWorkflowExecutionInfo().GetStatus()
		out[id] = st
		assert.NotEqual(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, st, "%s is still running", id)
		var pending []string
		for _, a := range desc.GetPendingActivities() {
			pending = append(pending, a.GetActivityType().GetName()+" ("+a.GetState().String()+")")
		}
		assert.Empty(t, pending, "%s closed %s with activities pending", id, st)
		assert.Empty(t, desc.GetPendingChildren(), "%s closed %s with child workflows pending", id, st)
	}
	return out
}

// TestCancelledMatrixEndsCancelled cancels a matrix while its planner
// case is loading: the matrix, the case and its planner close as
// cancelled, with nothing pending (every activity was waited for until it
// stopped), and `plannerbench status` says cancelled for the matrix and
// the case.
func TestCancelledMatrixEndsCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := t.TempDir()
	killSims(t, res)
	startWorker(t, srv.Address, res)
	in := matrixInput(t, `
name: e2e-cancel
time_scale: 5
trace:
  synth: {time_duration: 600, request_rate_min: 2, request_rate_max: 8, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load}}
  - {name: later, deployment: 2p2d, planner: {mode: noop}}
max_parallel: 1
`)
	run := startMatrix(t, c, in)
	caseID := workflows.CaseID(in.Name, "planner")
	require.Eventually(t, func() bool {
		q, err := c.QueryWorkflow(context.Background(), caseID, "", workflows.ProgressQuery)
		var p workflows.CaseProgress
		return err == nil && q.Get(&p) == nil && p.Stage == workflows.StageLoad && p.Progress.Sent > 20
	}, 2*time.Minute, 200*time.Millisecond, "the planner case is loading")
	time.Sleep(2 * time.Second) // past a planner tick or two: its activities run
	require.NoError(t, c.CancelWorkflow(context.Background(), run.GetID(), ""))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	err := run.Get(ctx, &out)
	require.Error(t, err)
	require.True(t, temporal.IsCanceledError(err), "the matrix ends cancelled: %v", err)

	statuses := requireClosedCleanly(t, c, run.GetID(), caseID, workflows.PlannerID(in.Name, "planner"))
	for id, st := range statuses {
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, st, id)
	}

	status, err := exec.Command(cliBinary(t), "status", run.GetID(), "--address", srv.Address).CombinedOutput()
	require.NoError(t, err, "%s", status)
	t.Logf("plannerbench status:\n%s", status)
	lines := strings.Split(string(status), "\n")
	require.Equal(t, run.GetID()+": cancelled", lines[0])
	require.Regexp(t, `(?m)^planner\s+cancelled\s`, string(status))
	require.Regexp(t, `(?m)^later\s+cancelled\s`, string(status), "a case that never started is cancelled too")
}
