package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"plannerbench/deploy/dynamo/kubetest"
	"plannerbench/workflows"
)

// countingWorkers counts the operator's requests for new worker counts.
type countingWorkers struct {
	kubetest.SimWorkers
	sets chan string
}

func (w countingWorkers) Set(ctx context.Context, role string, n int) error {
	select {
	case w.sets <- fmt.Sprintf("%s=%d", role, n):
	default:
	}
	return w.SimWorkers.Set(ctx, role, n)
}

// TestDynamoBackendOnARealAPIServer runs the seed's planner case with
// backend dynamo: the case creates a DynamoGraphDeployment (Dynamo's
// example graph, its workers with scaling adapters) on a real API server
// with Dynamo's CRDs, through a kubeconfig; the planner scales through
// the adapters' Scale subresource; the test operator carries the
// replicas into the DGD and into the workers of a `sim serve` process,
// and reports them back in the DGD's status. Its results are held to the
// same band of virtual-time replays as the sim backend's.
func TestDynamoBackendOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := startDevServer(t)
	c := srv.client(t)
	res := resultsDir(t)
	bin := workerBinary(t)
	url := startOutsideSim(t, res, bin)

	cl := kubetest.Start(t)
	workers := countingWorkers{SimWorkers: kubetest.SimWorkers{URL: url}, sets: make(chan string, 1000)}
	op := &kubetest.Operator{Client: cl.Dynamic, Namespace: "bench", Workers: workers}
	stop := op.Start()
	defer stop()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "deploy/dynamo/testdata/disagg_planner.yaml"))
	require.NoError(t, err)
	data, err = kubetest.EnableAdapters(data, "VllmDecodeWorker", "VllmPrefillWorker")
	require.NoError(t, err)
	manifest := filepath.Join(res, "graph.yaml")
	require.NoError(t, os.WriteFile(manifest, data, 0o644))

	startWorker(t, srv.Address, res)
	in := matrixInput(t, fmt.Sprintf(`
name: e2e-dynamo
backend:
  kind: dynamo
  manifest: %s
  namespace: bench
  kubeconfig: %s
  url: %s
  metrics: [%s/metrics]
  metrics_dialect: dynamo
time_scale: %g
trace:
  synth: {%s}
cases:
  - {name: planner, deployment: 1p1d, planner: {mode: load, %s}}
`, manifest, cl.Kubeconfig, url, url, seedTimeScale, seedSynth, seedThresholds))
	run := startMatrix(t, c, in)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out workflows.MatrixResult
	require.NoError(t, run.Get(ctx, &out))
	require.Zero(t, out.Failed, "%+v", out.Cases)
	require.Len(t, out.Cases, 1)

	// The planner scaled the graph through the API server: the operator
	// asked the workers for more than the first 1p1d.
	stop()
	close(workers.sets)
	var sets []string
	for s := range workers.sets {
		sets = append(sets, s)
	}
	t.Logf("the operator set the workers %d times: %v", len(sets), sets)
	require.Greater(t, len(sets), 2, "the planner scaled through the adapters")
	errs, conflicts := op.Errors()
	require.Empty(t, errs)
	t.Logf("the operator retried %d conflicts", conflicts)
	dgd := schema.GroupVersionResource{Group: "nvidia.com", Version: "v1alpha1", Resource: "dynamographdeployments"}
	_, err = cl.Dynamic.Resource(dgd).Namespace("bench").Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the case deleted the DGD it created: %v", err)

	checkOutsideSimCase(t, "dynamo", filepath.Join(res, in.Name, out.Cases[0].ID), filepath.Join(res, in.Name, "traces"))
}
