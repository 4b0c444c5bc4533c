package dynamo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy"
	"plannerbench/schemas"
)

// TestRealCluster runs against a real cluster with Dynamo's operator, only
// when PLANNERBENCH_KUBE_E2E=1: it creates the DGD of
// $PLANNERBENCH_KUBE_MANIFEST (default: the upstream example in testdata)
// in $PLANNERBENCH_KUBE_NAMESPACE at 1p1d, waits for Ready (up to 30
// minutes), scales to 2p2d, reads the workers, and deletes it. The
// kubeconfig comes from the usual places (in-cluster, $KUBECONFIG,
// ~/.kube/config).
func TestRealCluster(t *testing.T) {
	if os.Getenv("PLANNERBENCH_KUBE_E2E") != "1" {
		t.Skip("set PLANNERBENCH_KUBE_E2E=1 (and have a kubeconfig) to run against a real cluster")
	}
	manifest := os.Getenv("PLANNERBENCH_KUBE_MANIFEST")
	if manifest == "" {
		manifest = "testdata/disagg_planner.yaml"
	}
	d := NewDeployer(deploy.Env{}).(*Deployer)
	sp := deploy.Spec{Dir: filepath.Join(t.TempDir(), "case"), Node: "e2e", Model: "Qwen/Qwen3-0.6B", GPUsPerEngine: 1,
		Deployment: schemas.Deployment{Prefill: 1, Decode: 1},
		Backend: schemas.Backend{Kind: BackendName, Manifest: manifest, Namespace: os.Getenv("PLANNERBENCH_KUBE_NAMESPACE"),
			URL: "http://unused:8000"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ref, err := d.Up(ctx, sp, func(s string) { t.Log(s) })
	require.NoError(t, err)
	defer func() { require.NoError(t, d.Down(context.Background(), ref)) }()
	w, err := d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 2})
	require.NoError(t, err)
	t.Logf("after scaling to 2p2d: %+v", w)
	require.Equal(t, 2, w.PrefillReady+w.PrefillStarting)
}
