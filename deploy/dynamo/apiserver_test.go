package dynamo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"plannerbench/deploy"
	"plannerbench/deploy/dynamo/kubetest"
	"plannerbench/schemas"
)

// The tests in this file run the backend against a real API server
// (apiextensions-apiserver on an embedded etcd) with Dynamo's own CRDs,
// through a kubeconfig as a user gives one, and kubetest.Operator playing
// the operator. What the fakes in deployer_test.go could not check: the
// CRDs' schema validation, the Scale subresource, status as a
// subresource, resourceVersion conflicts.

func realDeployer(cl *kubetest.Cluster) *Deployer {
	d := NewDeployer(deploy.Env{}).(*Deployer)
	d.Poll = 10 * time.Millisecond
	return d
}

func realSpec(t *testing.T, cl *kubetest.Cluster, backend schemas.Backend, dep string) deploy.Spec {
	sp := spec(t, backend, dep)
	sp.Backend.Kubeconfig = cl.Kubeconfig
	return sp
}

// withAdapters writes the upstream example with scalingAdapter enabled on
// its two worker services (how a graph scaled by Dynamo's planner is
// declared) and the given replicas.
func withAdapters(t *testing.T, replicas int) string {
	data, err := os.ReadFile("testdata/disagg_planner.yaml")
	require.NoError(t, err)
	data, err = kubetest.EnableAdapters(data, "VllmDecodeWorker", "VllmPrefillWorker")
	require.NoError(t, err)
	text := strings.ReplaceAll(string(data), "      replicas: 1\n", "      replicas: "+strconv.Itoa(replicas)+"\n")
	text = strings.Replace(text, "      replicas: "+strconv.Itoa(replicas)+"\n", "      replicas: 1\n", 2) // Frontend, Planner
	path := filepath.Join(t.TempDir(), "graph.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestRealServerCreateScaleByPatchAndDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cl := kubetest.Start(t)
	op := &kubetest.Operator{Client: cl.Dynamic, Namespace: "bench"}
	defer op.Start()()
	d := realDeployer(cl)
	for _, dep := range []string{"1p1d", "2p2d"} {
		t.Run(dep, func(t *testing.T) {
			sp := realSpec(t, cl, schemas.Backend{Manifest: "testdata/disagg_planner.yaml", Namespace: "bench"}, dep)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ref, err := d.Up(ctx, sp, nil)
			require.NoError(t, err)
			n := int64(sp.Deployment.Prefill)
			got := replicas(t, cl.Dynamic, dgdV1alpha1, "bench", "vllm-disagg-planner")
			require.Equal(t, map[string]int64{"Frontend": 1, "Planner": 1, "VllmPrefillWorker": n, "VllmDecodeWorker": n}, got)

			// No service enables an adapter: the scale subresource is 404
			// and the backend patches the DGD.
			w, err := d.Scale(ctx, ref, schemas.Target{Prefill: 3, Decode: 2})
			require.NoError(t, err)
			require.Equal(t, 3, w.PrefillReady+w.PrefillStarting)
			got = replicas(t, cl.Dynamic, dgdV1alpha1, "bench", "vllm-disagg-planner")
			require.Equal(t, int64(3), got["VllmPrefillWorker"])
			require.Equal(t, int64(2), got["VllmDecodeWorker"])
			require.Eventually(t, func() bool {
				s, err := d.Observe(ctx, ref)
				return err == nil && s.PrefillWorkers == 3 && s.DecodeWorkers == 2
			}, 5*time.Second, 10*time.Millisecond, "the operator's status reaches the backend")

			found, ok, err := d.Find(ctx, sp)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, ref, found)
			require.NoError(t, d.Down(ctx, ref))
			_, err = cl.Dynamic.Resource(dgdV1alpha1).Namespace("bench").Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
			require.True(t, apierrors.IsNotFound(err), "deleted: %v", err)
			require.NoError(t, d.Down(ctx, ref), "twice is fine")
		})
	}
	errs, _ := op.Errors()
	require.Empty(t, errs)
}

// An existing graph whose workers enable scaling adapters: the backend
// adopts it, scales through the adapters' Scale subresource (the operator
// carries it into the DGD), sees workers starting, and restores what it
// found.
func TestRealServerAdoptScaleThroughAdaptersAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cl := kubetest.Start(t)
	pool := &kubetest.Pool{}
	op := &kubetest.Operator{Client: cl.Dynamic, Namespace: "prod", Workers: pool}
	defer op.Start()()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create(t, cl.Dynamic, withAdapters(t, 4), "prod")
	require.Eventually(t, func() bool {
		_, err := cl.Dynamic.Resource(adapterGVR).Namespace("prod").Get(ctx, "vllm-disagg-planner-vllmprefillworker", metav1.GetOptions{})
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "the operator makes the adapters: %v", op)

	d := realDeployer(cl)
	sp := realSpec(t, cl, schemas.Backend{DGD: "prod/vllm-disagg-planner"}, "1p1d")
	ref, err := d.Up(ctx, sp, nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), adapterReplicas(t, cl.Dynamic, "vllm-disagg-planner-vllmprefillworker"), "scaled through the adapter")
	got := replicas(t, cl.Dynamic, dgdV1alpha1, "prod", "vllm-disagg-planner")
	require.Equal(t, int64(1), got["VllmPrefillWorker"])
	require.Equal(t, int64(1), got["VllmDecodeWorker"])

	pool.Hold()
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 1})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		s, err := d.Observe(ctx, ref)
		return err == nil && s.PrefillWorkers == 1 && s.PrefillStarting == 1 && s.DecodeWorkers == 1 && s.GPUsHeld == 3
	}, 5*time.Second, 10*time.Millisecond, "one prefill worker serves, the second starts")
	pool.Release()
	require.Eventually(t, func() bool {
		s, err := d.Observe(ctx, ref)
		return err == nil && s.PrefillWorkers == 2 && s.PrefillStarting == 0
	}, 5*time.Second, 10*time.Millisecond)

	require.NoError(t, d.Down(ctx, ref))
	require.Equal(t, int64(4), adapterReplicas(t, cl.Dynamic, "vllm-disagg-planner-vllmprefillworker"), "restored through the adapter")
	require.Eventually(t, func() bool {
		got := replicas(t, cl.Dynamic, dgdV1alpha1, "prod", "vllm-disagg-planner")
		return got["VllmPrefillWorker"] == 4 && got["VllmDecodeWorker"] == 4
	}, 5*time.Second, 10*time.Millisecond, "an adopted DGD keeps existing with what it had")
	errs, _ := op.Errors()
	require.Empty(t, errs)
}

// The server refuses an Update made from a stale read (409 Conflict),
// which the fake client never did. The operator's Updates meet it while
// the backend scales, and its next pass reads again; the backend writes
// only patches, which the server applies to the latest version, so
// scaling while the operator writes never fails.
func TestRealServerConflictIsRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cl := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create(t, cl.Dynamic, withAdapters(t, 1), "prod")
	op := &kubetest.Operator{Client: cl.Dynamic, Namespace: "prod", Every: time.Millisecond}
	defer op.Start()()
	d := realDeployer(cl)
	ref, err := d.Up(ctx, realSpec(t, cl, schemas.Backend{DGD: "prod/vllm-disagg-planner"}, "1p1d"), nil)
	require.NoError(t, err)

	stale, err := cl.Dynamic.Resource(dgdV1alpha1).Namespace("prod").Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
	require.NoError(t, err)
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 2})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return replicas(t, cl.Dynamic, dgdV1alpha1, "prod", "vllm-disagg-planner")["VllmPrefillWorker"] == 2
	}, 5*time.Second, 5*time.Millisecond, "the operator carries the adapter into the DGD")
	_ = unstructured.SetNestedField(stale.Object, int64(7), "spec", "services", "Frontend", "replicas")
	_, err = cl.Dynamic.Resource(dgdV1alpha1).Namespace("prod").Update(ctx, stale, metav1.UpdateOptions{})
	require.True(t, apierrors.IsConflict(err), "an update from a stale read is refused: %v", err)

	for i := 0; i < 30; i++ {
		_, err := d.Scale(ctx, ref, schemas.Target{Prefill: 1 + i%3, Decode: 1 + i%2})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		got := replicas(t, cl.Dynamic, dgdV1alpha1, "prod", "vllm-disagg-planner")
		return got["VllmPrefillWorker"] == int64(1+29%3) && got["VllmDecodeWorker"] == int64(1+29%2) && got["Frontend"] == 1
	}, 5*time.Second, 5*time.Millisecond)
	errs, conflicts := op.Errors()
	require.Empty(t, errs)
	t.Logf("the operator met and retried %d conflicts", conflicts)
}

// A manifest the CRD's schema refuses fails the case as bad input naming
// the field the server named.
func TestRealServerRefusesABadManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cl := kubetest.Start(t)
	data, err := os.ReadFile("testdata/disagg_planner.yaml")
	require.NoError(t, err)
	bad := strings.Replace(string(data), "spec:\n  services:", "spec:\n  backendFramework: tensorflow\n  services:", 1)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	d := realDeployer(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = d.Up(ctx, realSpec(t, cl, schemas.Backend{Manifest: path, Namespace: "bench"}, "1p1d"), nil)
	require.True(t, errors.Is(err, deploy.ErrInvalid), "%v", err)
	require.ErrorContains(t, err, `spec.backendFramework: Unsupported value: "tensorflow"`)
	_, err = cl.Dynamic.Resource(dgdV1alpha1).Namespace("bench").Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "nothing created")
}

func create(t *testing.T, c dynamic.Interface, manifest, ns string) {
	d := &Deployer{}
	obj, _, err := d.load(context.Background(), c, deploy.Spec{Backend: schemas.Backend{Manifest: manifest, Namespace: ns}})
	require.NoError(t, err)
	_, err = c.Resource(dgdV1alpha1).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{})
	require.NoError(t, err)
}

func adapterReplicas(t *testing.T, c dynamic.Interface, name string) int64 {
	a, err := c.Resource(adapterGVR).Namespace("prod").Get(context.Background(), name, metav1.GetOptions{}, "scale")
	require.NoError(t, err)
	n, _, _ := unstructured.NestedInt64(a.Object, "spec", "replicas")
	return n
}
