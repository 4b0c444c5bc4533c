// Package dynamo is the backend for a Dynamo graph on Kubernetes: a
// DynamoGraphDeployment (DGD) that the case creates from a manifest, or an
// existing one it adopts. It sets the prefill and decode replicas before
// the load, waits for the DGD's Ready condition, scales through the
// services' DynamoGraphDeploymentScalingAdapters (a DGD patch where an
// older operator has none), counts workers ready and starting from the
// DGD status, reads the graph's metrics with Dynamo's and vLLM's names,
// and on teardown deletes what it created or restores the replicas it
// found. It follows how Dynamo's own planner drives a cluster
// (components/src/dynamo/planner/connectors/kubernetes_api.py, commit
// 0517dbe99cbab998ab1f395a424318492c00b516).
package dynamo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"plannerbench/deploy"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/observe"
	"plannerbench/schemas"
)

// BackendName is the backend's name in a matrix (backend.kind).
const BackendName = schemas.BackendDynamo

// Deployer drives DynamoGraphDeployments.
type Deployer struct {
	env deploy.Env
	// Client makes the Kubernetes client for a kubeconfig path ("" = the
	// usual places); tests give a fake.
	Client func(kubeconfig string) (dynamic.Interface, error)
	// Poll is how often Up reads the DGD while it waits for Ready.
	Poll time.Duration
}

// NewDeployer is the backend's deploy.Factory.
func NewDeployer(env deploy.Env) deploy.Deployer {
	return &Deployer{env: env, Client: RealClient, Poll: 5 * time.Second}
}

// RealClient builds a dynamic client: the in-cluster config, else the
// kubeconfig path given, else $KUBECONFIG or ~/.kube/config.
func RealClient(kubeconfig string) (dynamic.Interface, error) {
	cfg, err := rest.InClusterConfig()
	if err != nil || kubeconfig != "" {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if kubeconfig != "" {
			rules.ExplicitPath = kubeconfig
		}
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
	}
	return dynamic.NewForConfig(cfg)
}

// state is deployment.json: what the case created or adopted.
type state struct {
	Ref        schemas.DeploymentRef `json:"ref"`
	Namespace  string                `json:"namespace"`
	Name       string                `json:"name"`
	APIVersion string                `json:"api_version"`
	Prefill    string                `json:"prefill_service"`
	Decode     string                `json:"decode_service"`
	Created    bool                  `json:"created"`
	// Found holds the replicas an adopted DGD had, restored on teardown.
	Found      map[string]int64 `json:"found_replicas,omitempty"`
	Kubeconfig string           `json:"kubeconfig,omitempty"`
	Stopped    bool             `json:"stopped"`
}

func statePath(dir string) string { return deploy.StatePath(dir) }

// gvr is the resource of the recorded DGD's API version.
func (st state) gvr() schema.GroupVersionResource {
	if st.APIVersion == "nvidia.com/v1beta1" {
		return dgdV1beta1
	}
	return dgdV1alpha1
}

func readState(dir string) (state, error) {
	var st state
	err := deploy.ReadState(dir, &st)
	return st, err
}

// timeScale is the matrix's time_scale: 1 for a real graph; a graph of
// simulated workers (the tests' operator runs `sim serve`) runs faster.
func timeScale(s float64) float64 {
	if s > 0 {
		return s
	}
	return 1
}

// refused makes the API server's refusal of a manifest (422 Invalid) a
// bad-input error naming the fields the server named; other errors pass.
func refused(manifest string, err error) error {
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) {
		return err
	}
	var fields []string
	if d := status.Status().Details; d != nil {
		for _, c := range d.Causes {
			if c.Field != "" { // a cause without a field only says others stopped validation
				fields = append(fields, fmt.Sprintf("%s: %s", c.Field, c.Message))
			}
		}
	}
	if len(fields) == 0 {
		fields = append(fields, status.Status().Message)
	}
	return invalid("backend.manifest %s: the API server refused it: %s", manifest, strings.Join(fields, "; "))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", deploy.ErrInvalid, fmt.Sprintf(format, args...))
}

// load returns the DGD the spec names: the manifest's object (not yet
// created) or the existing one.
func (d *Deployer) load(ctx context.Context, c dynamic.Interface, spec deploy.Spec) (*unstructured.Unstructured, bool, error) {
	b := spec.Backend
	if b.Manifest != "" {
		data, err := os.ReadFile(b.Manifest)
		if err != nil {
			return nil, false, invalid("backend.manifest: %v", err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096).Decode(&obj.Object); err != nil {
			return nil, false, invalid("backend.manifest %s: %v", b.Manifest, err)
		}
		if obj.GetKind() != dgdKind {
			return nil, false, invalid("backend.manifest %s: kind %q, want %s", b.Manifest, obj.GetKind(), dgdKind)
		}
		if obj.GetNamespace() == "" {
			ns := b.Namespace
			if ns == "" {
				ns = "default"
			}
			obj.SetNamespace(ns)
		}
		return obj, true, nil
	}
	ns, name, _ := strings.Cut(b.DGD, "/")
	var lastErr error
	for _, gvr := range []schema.GroupVersionResource{dgdV1alpha1, dgdV1beta1} {
		obj, err := c.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return obj, false, nil
		}
		lastErr = err
	}
	if apierrors.IsNotFound(lastErr) {
		return nil, false, invalid("backend.dgd: DynamoGraphDeployment %s not found", b.DGD)
	}
	return nil, false, fmt.Errorf("get DynamoGraphDeployment %s: %w", b.DGD, lastErr)
}

// graphDGD is the DGD a spec names, with its worker services found.
type graphDGD struct {
	obj             *unstructured.Unstructured
	create          bool // from a manifest, not yet created
	gvr             schema.GroupVersionResource
	prefill, decode service
}

// graph loads the spec's DGD (load) and finds its version and its prefill
// and decode services; what it cannot find is bad input.
func (d *Deployer) graph(ctx context.Context, c dynamic.Interface, spec deploy.Spec) (graphDGD, error) {
	obj, create, err := d.load(ctx, c, spec)
	if err != nil {
		return graphDGD{}, err
	}
	g := graphDGD{obj: obj, create: create}
	if g.gvr, err = gvrOf(obj); err != nil {
		return graphDGD{}, invalid("%v", err)
	}
	svcs, err := services(obj)
	if err != nil {
		return graphDGD{}, invalid("DynamoGraphDeployment %s: %v", obj.GetName(), err)
	}
	if g.prefill, err = pick(svcs, rolePrefill, spec.Backend.Prefill); err != nil {
		return graphDGD{}, invalid("DynamoGraphDeployment %s: prefill: %v", obj.GetName(), err)
	}
	if g.decode, err = pick(svcs, roleDecode, spec.Backend.Decode); err != nil {
		return graphDGD{}, invalid("DynamoGraphDeployment %s: decode: %v", obj.GetName(), err)
	}
	return g, nil
}

// setTarget sets the worker services' replicas in the (not yet created)
// object.
func (g graphDGD) setTarget(t schemas.Target) error {
	if err := setReplicas(g.obj, g.prefill, int64(t.Prefill)); err != nil {
		return err
	}
	return setReplicas(g.obj, g.decode, int64(t.Decode))
}

// Find returns the case's recorded DGD when it still exists.
func (d *Deployer) Find(ctx context.Context, spec deploy.Spec) (schemas.DeploymentRef, bool, error) {
	st, err := readState(spec.Dir)
	if err != nil || st.Stopped {
		return schemas.DeploymentRef{}, false, nil
	}
	c, err := d.Client(st.Kubeconfig)
	if err != nil {
		return schemas.DeploymentRef{}, false, err
	}
	gvr := st.gvr()
	if _, err := c.Resource(gvr).Namespace(st.Namespace).Get(ctx, st.Name, metav1.GetOptions{}); err != nil {
		return schemas.DeploymentRef{}, false, nil
	}
	return st.Ref, true, nil
}

// Up creates or adopts the DGD, sets the case's replicas and waits for
// Ready (a wait that outlives ctx is an ordinary, retryable error).
func (d *Deployer) Up(ctx context.Context, spec deploy.Spec, progress deploy.Progress) (schemas.DeploymentRef, error) {
	say := func(s string) {
		if progress != nil {
			progress(s)
		}
	}
	c, err := d.Client(spec.Backend.Kubeconfig)
	if err != nil {
		return schemas.DeploymentRef{}, err
	}
	g, err := d.graph(ctx, c, spec)
	if err != nil {
		return schemas.DeploymentRef{}, err
	}
	obj, create, gvr, p, dec := g.obj, g.create, g.gvr, g.prefill, g.decode
	st := state{Namespace: obj.GetNamespace(), Name: obj.GetName(), APIVersion: obj.GetAPIVersion(), Prefill: p.Name, Decode: dec.Name,
		Created: create, Kubeconfig: spec.Backend.Kubeconfig}
	dialect := spec.Backend.MetricsDialect
	if dialect == "" {
		dialect = observe.DialectDynamo
	}
	st.Ref = schemas.DeploymentRef{Backend: BackendName, Node: spec.Node, Dir: spec.Dir, Resource: st.Namespace + "/" + st.Name,
		URL: spec.Backend.URL, MetricsURLs: spec.Backend.Metrics, MetricsDialect: dialect, DCGMURLs: spec.Backend.DCGM,
		APIKeyEnv: spec.Backend.APIKeyEnv, Model: spec.Model, TimeScale: timeScale(spec.TimeScale), GPUsPerEngine: max(spec.GPUsPerEngine, 1), Scalable: true}
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return schemas.DeploymentRef{}, fmt.Errorf("case folder: %w", err)
	}
	want := schemas.Target{Prefill: spec.Deployment.Prefill, Decode: spec.Deployment.Decode}
	if create {
		if err := g.setTarget(want); err != nil {
			return schemas.DeploymentRef{}, err
		}
		say(fmt.Sprintf("creating DynamoGraphDeployment %s/%s at %s", st.Namespace, st.Name, spec.Deployment))
		if _, err := c.Resource(gvr).Namespace(st.Namespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return schemas.DeploymentRef{}, refused(spec.Backend.Manifest, fmt.Errorf("create DynamoGraphDeployment %s/%s: %w", st.Namespace, st.Name, err))
		}
		// Recorded at once, so a retry or teardown finds what was created.
		if err := atomicfile.WriteJSON(statePath(spec.Dir), st); err != nil {
			return schemas.DeploymentRef{}, err
		}
	} else {
		st.Found = map[string]int64{p.Name: p.Replicas, dec.Name: dec.Replicas}
		if old, err := readState(spec.Dir); err == nil && !old.Stopped && old.Found != nil {
			st.Found = old.Found // a retried Up keeps what was found first
		}
		if err := atomicfile.WriteJSON(statePath(spec.Dir), st); err != nil {
			return schemas.DeploymentRef{}, err
		}
		say(fmt.Sprintf("scaling DynamoGraphDeployment %s/%s to %s", st.Namespace, st.Name, spec.Deployment))
		if err := d.setTarget(ctx, c, st, want); err != nil {
			return schemas.DeploymentRef{}, err
		}
	}
	if err := d.waitReady(ctx, c, st, want, say); err != nil {
		return schemas.DeploymentRef{}, err
	}
	return st.Ref, nil
}

// waitReady polls the DGD until its services ask for the target, its
// Ready condition is True and both worker services are stable. The first
// matters when scaling goes through an adapter: until the operator
// carries it into the DGD, the DGD is Ready at the replicas it had.
func (d *Deployer) waitReady(ctx context.Context, c dynamic.Interface, st state, want schemas.Target, say func(string)) error {
	poll := d.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	start := time.Now()
	for {
		obj, err := get(ctx, c, st)
		if err == nil {
			ready, msg := isReady(obj)
			svcs, _ := services(obj)
			stable := true
			var parts []string
			for i, name := range []string{st.Prefill, st.Decode} {
				s, _ := pick(svcs, "", name)
				serving, ok := replicaStatus(obj, s)
				stable = stable && ok && s.Replicas == int64([]int{want.Prefill, want.Decode}[i])
				parts = append(parts, fmt.Sprintf("%s %d/%d", name, serving, s.Replicas))
			}
			if ready && stable {
				return nil
			}
			say(fmt.Sprintf("waiting for %s/%s Ready (%s; %s) for %s", st.Namespace, st.Name, strings.Join(parts, ", "), msg, time.Since(start).Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("DynamoGraphDeployment %s/%s not Ready after %s: %w", st.Namespace, st.Name, time.Since(start).Round(time.Second), ctx.Err())
		case <-time.After(poll):
		}
	}
}

func get(ctx context.Context, c dynamic.Interface, st state) (*unstructured.Unstructured, error) {
	gvr := st.gvr()
	return c.Resource(gvr).Namespace(st.Namespace).Get(ctx, st.Name, metav1.GetOptions{})
}

// setTarget sets both services' replicas.
func (d *Deployer) setTarget(ctx context.Context, c dynamic.Interface, st state, t schemas.Target) error {
	if err := d.setService(ctx, c, st, st.Prefill, int64(t.Prefill)); err != nil {
		return err
	}
	return d.setService(ctx, c, st, st.Decode, int64(t.Decode))
}

// setService scales one service through its scaling adapter's Scale
// subresource, or, when the operator made no adapter (404), by patching
// the DGD, as Dynamo's planner does.
func (d *Deployer) setService(ctx context.Context, c dynamic.Interface, st state, name string, n int64) error {
	adapter := st.Name + "-" + strings.ToLower(name)
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"replicas": n}})
	_, err := c.Resource(adapterGVR).Namespace(st.Namespace).Patch(ctx, adapter, types.MergePatchType, body, metav1.PatchOptions{}, "scale")
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("scale %s/%s to %d: %w", st.Namespace, adapter, n, err)
	}
	obj, err := get(ctx, c, st)
	if err != nil {
		return fmt.Errorf("get DynamoGraphDeployment %s/%s: %w", st.Namespace, st.Name, err)
	}
	var patch []byte
	pt := types.MergePatchType
	if st.APIVersion == "nvidia.com/v1beta1" {
		svcs, _ := services(obj)
		s, err := pick(svcs, "", name)
		if err != nil {
			return invalid("DynamoGraphDeployment %s/%s: %v", st.Namespace, st.Name, err)
		}
		patch, _ = json.Marshal([]map[string]any{{"op": "replace", "path": fmt.Sprintf("/spec/components/%d/replicas", s.index), "value": n}})
		pt = types.JSONPatchType
	} else {
		patch, _ = json.Marshal(map[string]any{"spec": map[string]any{"services": map[string]any{name: map[string]any{"replicas": n}}}})
	}
	gvr := st.gvr()
	if _, err := c.Resource(gvr).Namespace(st.Namespace).Patch(ctx, st.Name, pt, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("patch DynamoGraphDeployment %s/%s %s replicas to %d: %w", st.Namespace, st.Name, name, n, err)
	}
	return nil
}

// Scale sets the target replicas and returns the workers the DGD reports.
func (d *Deployer) Scale(ctx context.Context, ref schemas.DeploymentRef, target schemas.Target) (schemas.Workers, error) {
	st, err := readState(ref.Dir)
	if err != nil {
		return schemas.Workers{}, fmt.Errorf("scale %s: %w", ref.Resource, err)
	}
	c, err := d.Client(st.Kubeconfig)
	if err != nil {
		return schemas.Workers{}, err
	}
	if err := d.setTarget(ctx, c, st, target); err != nil {
		return schemas.Workers{}, err
	}
	return d.workers(ctx, c, st, ref.GPUsPerEngine)
}

// workers counts each service's serving and starting replicas.
func (d *Deployer) workers(ctx context.Context, c dynamic.Interface, st state, gpus int) (schemas.Workers, error) {
	obj, err := get(ctx, c, st)
	if err != nil {
		return schemas.Workers{}, fmt.Errorf("get DynamoGraphDeployment %s/%s: %w", st.Namespace, st.Name, err)
	}
	svcs, _ := services(obj)
	var w schemas.Workers
	p, _ := pick(svcs, "", st.Prefill)
	dec, _ := pick(svcs, "", st.Decode)
	pr, _ := replicaStatus(obj, p)
	dr, _ := replicaStatus(obj, dec)
	w.PrefillReady, w.DecodeReady = int(pr), int(dr)
	w.PrefillStarting, w.DecodeStarting = max(int(p.Replicas-pr), 0), max(int(dec.Replicas-dr), 0)
	w.NumGPU = (int(max(p.Replicas, pr)) + int(max(dec.Replicas, dr))) * max(gpus, 1)
	return w, nil
}

// Observe reads the graph's metrics (Dynamo's names) and takes the worker
// counts from the DGD status, which also shows workers still starting.
func (d *Deployer) Observe(ctx context.Context, ref schemas.DeploymentRef) (schemas.Sample, error) {
	st, err := readState(ref.Dir)
	if err != nil {
		return schemas.Sample{}, fmt.Errorf("observe %s: %w", ref.Resource, err)
	}
	c, err := d.Client(st.Kubeconfig)
	if err != nil {
		return schemas.Sample{}, err
	}
	var s schemas.Sample
	if len(ref.MetricsURLs) > 0 {
		if s, err = observe.ScrapeAll(ctx, d.env.Client(), ref.MetricsURLs, ref.GPUsPerEngine, ref.MetricsDialect); err != nil {
			return schemas.Sample{}, fmt.Errorf("observe %s: %w", ref.Resource, err)
		}
	}
	w, err := d.workers(ctx, c, st, ref.GPUsPerEngine)
	if err != nil {
		return schemas.Sample{}, err
	}
	s.PrefillWorkers, s.DecodeWorkers, s.PrefillStarting, s.DecodeStarting = w.PrefillReady, w.DecodeReady, w.PrefillStarting, w.DecodeStarting
	s.NumGPU = (w.PrefillReady + w.DecodeReady) * max(ref.GPUsPerEngine, 1)
	s.GPUsHeld = w.NumGPU
	return s, nil
}

// Down deletes a DGD the case created, or restores the replicas of one it
// adopted, and marks the record stopped. A DGD already gone is fine.
func (d *Deployer) Down(ctx context.Context, ref schemas.DeploymentRef) error {
	st, err := readState(ref.Dir)
	if err != nil || st.Stopped {
		return nil
	}
	c, err := d.Client(st.Kubeconfig)
	if err != nil {
		return err
	}
	if st.Created {
		gvr := st.gvr()
		if err := c.Resource(gvr).Namespace(st.Namespace).Delete(ctx, st.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete DynamoGraphDeployment %s/%s: %w", st.Namespace, st.Name, err)
		}
	} else if st.Found != nil {
		for name, n := range st.Found {
			if err := d.setService(ctx, c, st, name, n); err != nil && !errors.Is(err, deploy.ErrInvalid) {
				return fmt.Errorf("restore %s replicas: %w", name, err)
			}
		}
	}
	st.Stopped = true
	return atomicfile.WriteJSON(statePath(ref.Dir), st)
}
