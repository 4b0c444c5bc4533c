package dynamo

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"plannerbench/deploy"
	"plannerbench/schemas"
)

func fakeClient(objects ...runtime.Object) *fake.FakeDynamicClient {
	return fake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		dgdV1alpha1: dgdListKind, dgdV1beta1: dgdListKind, adapterGVR: adapterListKn,
	}, objects...)
}

func testDeployer(c dynamic.Interface) *Deployer {
	return &Deployer{env: deploy.Env{}, Client: func(string) (dynamic.Interface, error) { return c, nil }, Poll: 5 * time.Millisecond}
}

// operator stands in for Dynamo's operator: once the DGD exists it marks
// every service's replicas ready and the DGD Ready (after delay).
func operator(t *testing.T, c dynamic.Interface, gvr schema.GroupVersionResource, ns, name string, delay time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var since time.Time
		for ctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
			obj, err := c.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) < delay {
				continue
			}
			markReady(obj)
			_, _ = c.Resource(gvr).Namespace(ns).Update(ctx, obj, metav1.UpdateOptions{})
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// markReady sets the status the operator reports for a settled graph.
func markReady(obj *unstructured.Unstructured) {
	svcs, _ := services(obj)
	status := map[string]any{}
	for _, s := range svcs {
		status[s.Name] = map[string]any{"readyReplicas": s.Replicas, "availableReplicas": s.Replicas, "updatedReplicas": s.Replicas}
	}
	key := "services"
	if obj.GetAPIVersion() == "nvidia.com/v1beta1" {
		key = "components"
	}
	_ = unstructured.SetNestedField(obj.Object, status, "status", key)
	_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"type": "Ready", "status": "True"}}, "status", "conditions")
}

func spec(t *testing.T, backend schemas.Backend, dep string) deploy.Spec {
	d, err := schemas.ParseDeployment(dep)
	require.NoError(t, err)
	backend.Kind = BackendName
	backend.URL = "http://frontend:8000"
	return deploy.Spec{Dir: filepath.Join(t.TempDir(), "case"), Node: "n", Model: "Qwen/Qwen3-0.6B", Backend: backend, Deployment: d, GPUsPerEngine: 1}
}

func replicas(t *testing.T, c dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) map[string]int64 {
	obj, err := c.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	svcs, err := services(obj)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, s := range svcs {
		out[s.Name] = s.Replicas
	}
	return out
}

func TestDeployFromManifestAtEachDeploymentScaleAndTeardown(t *testing.T) {
	for _, tc := range []struct {
		manifest string
		gvr      schema.GroupVersionResource
		ns       string
	}{
		{"testdata/disagg_planner.yaml", dgdV1alpha1, "bench"},
		{"testdata/disagg_planner_v1beta1.yaml", dgdV1beta1, "bench"},
	} {
		for _, dep := range []string{"1p1d", "2p2d"} {
			t.Run(filepath.Base(tc.manifest)+"/"+dep, func(t *testing.T) {
				c := fakeClient()
				d := testDeployer(c)
				stop := operator(t, c, tc.gvr, tc.ns, "vllm-disagg-planner", 20*time.Millisecond)
				defer stop()
				sp := spec(t, schemas.Backend{Manifest: tc.manifest, Namespace: "bench"}, dep)
				var progress []string
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				ref, err := d.Up(ctx, sp, func(s string) { progress = append(progress, s) })
				require.NoError(t, err)
				require.Equal(t, tc.ns+"/vllm-disagg-planner", ref.Resource)
				require.Contains(t, progress[0], "creating DynamoGraphDeployment")
				n := int64(sp.Deployment.Prefill)
				got := replicas(t, c, tc.gvr, tc.ns, "vllm-disagg-planner")
				require.Equal(t, n, got["VllmPrefillWorker"])
				require.Equal(t, n, got["VllmDecodeWorker"])
				require.Equal(t, int64(1), got["Frontend"], "other services untouched")

				// No scaling adapters here: Scale falls back to patching the DGD.
				w, err := d.Scale(ctx, ref, schemas.Target{Prefill: 3, Decode: 2})
				require.NoError(t, err)
				got = replicas(t, c, tc.gvr, tc.ns, "vllm-disagg-planner")
				require.Equal(t, int64(3), got["VllmPrefillWorker"])
				require.Equal(t, int64(2), got["VllmDecodeWorker"])
				require.Equal(t, w.PrefillReady+w.PrefillStarting, 3)

				// A restarted worker finds it again.
				found, ok, err := d.Find(ctx, sp)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, ref, found)

				require.NoError(t, d.Down(ctx, ref))
				_, err = c.Resource(tc.gvr).Namespace(tc.ns).Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
				require.Error(t, err, "a DGD the case created is deleted")
				require.NoError(t, d.Down(ctx, ref), "twice is fine")
				_, ok, _ = d.Find(ctx, sp)
				require.False(t, ok)
			})
		}
	}
}

func TestWaitForReadyTimesOutAsARetryableError(t *testing.T) {
	c := fakeClient()
	d := testDeployer(c) // no operator: never Ready
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var progress []string
	_, err := d.Up(ctx, spec(t, schemas.Backend{Manifest: "testdata/disagg_planner.yaml"}, "1p1d"), func(s string) { progress = append(progress, s) })
	require.ErrorContains(t, err, "not Ready after")
	require.False(t, errors.Is(err, deploy.ErrInvalid), "retryable")
	require.Contains(t, progress[len(progress)-1], "waiting for default/vllm-disagg-planner Ready (VllmPrefillWorker 0/1, VllmDecodeWorker 0/1")
}

// An existing DGD with scaling adapters: the case scales through their
// Scale subresource (the test plays the operator, copying the adapter's
// replicas into the DGD), observes workers starting from the status, and
// restores the replicas it found on teardown.
func TestAdoptScaleThroughAdaptersAndRestore(t *testing.T) {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("nvidia.com/v1alpha1")
	obj.SetKind(dgdKind)
	obj.SetNamespace("prod")
	obj.SetName("graph")
	obj.Object["spec"] = map[string]any{"services": map[string]any{
		"Frontend": map[string]any{"componentType": "frontend", "replicas": int64(1)},
		"prefill":  map[string]any{"componentType": "worker", "subComponentType": "prefill", "replicas": int64(4)},
		"decode":   map[string]any{"componentType": "worker", "subComponentType": "decode", "replicas": int64(4)},
	}}
	markReady(obj)
	adapter := func(name string) *unstructured.Unstructured {
		a := &unstructured.Unstructured{}
		a.SetAPIVersion("nvidia.com/v1alpha1")
		a.SetKind(adapterKind)
		a.SetNamespace("prod")
		a.SetName(name)
		a.Object["spec"] = map[string]any{"replicas": int64(4)}
		return a
	}
	c := fakeClient(obj, adapter("graph-prefill"), adapter("graph-decode"))
	var scaled []string
	c.PrependReactor("patch", "dynamographdeploymentscalingadapters", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchAction)
		require.Equal(t, "scale", p.GetSubresource())
		scaled = append(scaled, p.GetName()+" "+string(p.GetPatch()))
		return false, nil, nil // let the tracker apply it to the adapter
	})
	d := testDeployer(c)
	ctx := context.Background()
	// The operator: adapters' replicas flow into the DGD; ready replicas
	// lag until the test marks them.
	sync := func() {
		g, _ := c.Resource(dgdV1alpha1).Namespace("prod").Get(ctx, "graph", metav1.GetOptions{})
		for _, svc := range []string{"prefill", "decode"} {
			a, _ := c.Resource(adapterGVR).Namespace("prod").Get(ctx, "graph-"+svc, metav1.GetOptions{})
			n, _, _ := unstructured.NestedInt64(a.Object, "spec", "replicas")
			_ = unstructured.SetNestedField(g.Object, n, "spec", "services", svc, "replicas")
		}
		_, _ = c.Resource(dgdV1alpha1).Namespace("prod").Update(ctx, g, metav1.UpdateOptions{})
	}
	sp := spec(t, schemas.Backend{DGD: "prod/graph"}, "1p1d")
	done := make(chan error)
	go func() {
		_, err := d.Up(ctx, sp, nil)
		done <- err
	}()
	require.Eventually(t, func() bool { return len(scaled) >= 2 }, 2*time.Second, time.Millisecond)
	sync()
	g, _ := c.Resource(dgdV1alpha1).Namespace("prod").Get(ctx, "graph", metav1.GetOptions{})
	markReady(g)
	_, _ = c.Resource(dgdV1alpha1).Namespace("prod").Update(ctx, g, metav1.UpdateOptions{})
	require.NoError(t, <-done)
	require.Equal(t, []string{`graph-prefill {"spec":{"replicas":1}}`, `graph-decode {"spec":{"replicas":1}}`}, scaled[:2])

	ref, ok, err := d.Find(ctx, sp)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 2, Decode: 1})
	require.NoError(t, err)
	sync()
	s, err := d.Observe(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, 1, s.PrefillWorkers, "one prefill worker serves")
	require.Equal(t, 1, s.PrefillStarting, "the second is starting (desired 2, available 1)")
	require.Equal(t, 1, s.DecodeWorkers)
	require.Equal(t, 3, s.GPUsHeld)

	require.NoError(t, d.Down(ctx, ref))
	sync()
	got := replicas(t, c, dgdV1alpha1, "prod", "graph")
	require.Equal(t, int64(4), got["prefill"], "restored")
	require.Equal(t, int64(4), got["decode"], "restored")
	_, err = c.Resource(dgdV1alpha1).Namespace("prod").Get(ctx, "graph", metav1.GetOptions{})
	require.NoError(t, err, "an adopted DGD is not deleted")
}

func TestInvalidSpecs(t *testing.T) {
	c := fakeClient()
	d := testDeployer(c)
	ctx := context.Background()
	for _, tc := range []struct {
		backend schemas.Backend
		msg     string
	}{
		{schemas.Backend{Manifest: "testdata/missing.yaml"}, "backend.manifest"},
		{schemas.Backend{DGD: "prod/none"}, "backend.dgd: DynamoGraphDeployment prod/none not found"},
		{schemas.Backend{Manifest: "testdata/disagg_planner.yaml", Prefill: "Nope"}, `prefill: no service named "Nope"`},
	} {
		_, err := d.Up(ctx, spec(t, tc.backend, "1p1d"), nil)
		require.ErrorIs(t, err, deploy.ErrInvalid)
		require.ErrorContains(t, err, tc.msg)
	}
}
