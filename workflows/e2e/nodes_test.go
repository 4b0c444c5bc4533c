package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/report"
	"plannerbench/internal/store"
	"plannerbench/internal/store/storetest"
	"plannerbench/workflows"
)

// TestThreeNodesOneBucket runs a six-case matrix on three workers with
// their own node names and local folders and one results bucket (an S3
// server in this process). One node's worker and its simulators are
// killed while a case's load runs there; that case finishes on another
// node (node_lost_after: 20s, so that the test does not wait the default
// two minutes for the load's retry, the planner's and the teardown's).
// Every case is in the bucket exactly once, read back with the results
// reader; the report is built from the bucket by whichever worker runs
// it, and the CLI reads results and report from the bucket. The bucket's
// credential, planted in the workers' environment, reaches no history,
// log or result.
func TestThreeNodesOneBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := resultsDir(t)
	secret := fmt.Sprintf("pb-bucket-secret-%d", time.Now().UnixNano())
	url := storetest.S3(t, "results", secret)

	nodes := map[string]*workerProc{}
	for _, n := range []string{"n1", "n2", "n3"} {
		dir := filepath.Join(res, n)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		killSims(t, dir)
		nodes[n] = startWorker(t, srv.Address, dir, "--node", n, "--results-url", url)
	}
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-nodes
backend: {kind: sim, profile: %s, graph: %s}
time_scale: 10
trace:
  synth: {time_duration: 300, request_rate_min: 5, request_rate_max: 20, request_rate_period: 150, isl1: 3000, osl1: 150, isl2: 3000, osl2: 150, phase: mean}
cases:
  - {name: noop-2p2d, deployment: 2p2d, planner: {mode: noop}}
  - {name: load-1p1d, deployment: 1p1d, planner: {mode: load, %[3]s}}
  - {name: load-2p2d, deployment: 2p2d, planner: {mode: load, %[3]s}}
  - {name: load-1p2d, deployment: 1p2d, planner: {mode: load, %[3]s}}
  - {name: load-2p1d, deployment: 2p1d, planner: {mode: load, %[3]s}}
  - {name: load-1p3d, deployment: 1p3d, planner: {mode: load, %[3]s}}
max_parallel: 3
node_lost_after: 20s
`, seedProfile, seedGraph, seedThresholds))
	run := startMatrix(t, c, in)

	// Kill the node of the first case whose load has begun, and its
	// simulators: the node is gone.
	var killed, killedCase string
	require.Eventually(t, func() bool {
		for n := range nodes {
			parts, _ := filepath.Glob(filepath.Join(res, n, in.Name, "*", casefolder.RequestsDir, "*"))
			if len(parts) > 0 {
				killed, killedCase = n, filepath.Base(filepath.Dir(filepath.Dir(parts[0])))
				return true
			}
		}
		return false
	}, 3*time.Minute, 50*time.Millisecond)
	nodes[killed].kill()
	ready, _ := filepath.Glob(filepath.Join(res, killed, in.Name, "*", "ready.json"))
	for _, r := range ready {
		_ = syscall.Kill(simPID(t, filepath.Dir(r)), syscall.SIGKILL)
	}
	t.Logf("killed node %s during case %s's load", killed, killedCase)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	require.Len(t, out.Cases, 6)

	// Every case exactly once in the bucket, whole, and where it ran.
	b, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer b.Close()
	cases, err := b.Cases(ctx, in.Name)
	require.NoError(t, err)
	var want []string
	for _, oc := range out.Cases {
		want = append(want, oc.ID)
	}
	sort.Strings(want)
	require.Equal(t, want, cases, "each case once, nothing set aside")
	ran := map[string]string{}
	readBack := filepath.Join(res, "read-back")
	for _, id := range cases {
		dir := filepath.Join(readBack, id)
		m, err := b.Fetch(ctx, store.CasePrefix(in.Name, id), dir)
		require.NoError(t, err)
		ran[id] = m.Node
		sum, err := casefolder.ReadSummary(dir)
		require.NoError(t, err)
		recs, err := casefolder.ReadRequests(ctx, dir)
		require.NoError(t, err)
		require.Len(t, recs, sum.Requests, id)
		checkRequests(t, dir, sum.Requests)
	}
	t.Logf("cases ran on %v", ran)
	require.NotEqual(t, killed, ran[killedCase], "the killed node's case finished elsewhere")
	nodesUsed := map[string]bool{}
	for _, n := range ran {
		nodesUsed[n] = true
	}
	require.GreaterOrEqual(t, len(nodesUsed), 2, "the matrix spread over the nodes")

	// The report: from the bucket, by whichever worker compared.
	data, err := b.ReadObject(ctx, in.Name+"/"+report.ComparisonFile)
	require.NoError(t, err)
	var cmp report.Comparison
	require.NoError(t, json.Unmarshal(data, &cmp))
	require.Len(t, cmp.Sentences, 5, "each planner case against the noop baseline")
	_, err = b.ReadObject(ctx, in.Name+"/"+report.ReportFile)
	require.NoError(t, err)
	require.NotNil(t, out.Comparison)
	t.Logf("report built on the node whose folder is %s", out.Comparison.Dir)

	// The CLI reads results and the report from the bucket.
	cli := cliBinary(t)
	id := workflows.MatrixID(in.Name, in.Hash)
	// The CLI keeps what it reads from the bucket in its cache folder: here.
	cliEnv := append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(res, "cli-cache"))
	cmd := exec.Command(cli, "results", "--address", srv.Address, "--results-url", url, id)
	cmd.Env = cliEnv
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	for _, oc := range out.Cases {
		line := lineOf(string(got), oc.ID)
		require.NotEmpty(t, line, "results lists %s:\n%s", oc.ID, got)
		require.NotContains(t, line, "\t-\t", "its summary was read from the bucket")
		require.NotRegexp(t, `completed\s+-\s`, line, "its summary was read from the bucket")
	}
	cmd = exec.Command(cli, "report", "--results-url", url, in.Name)
	cmd.Env = cliEnv
	got, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	require.Contains(t, string(got), "report: ")

	ids := []string{id}
	for _, oc := range out.Cases {
		ids = append(ids, workflows.CaseID(in.Name, oc.ID))
	}
	requireSecretNowhere(t, c, secret, res, ids...)
}

func lineOf(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix+" ") {
			return l
		}
	}
	return ""
}
