package kubetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// What the operator serves and labels, as ai-dynamo/dynamo names them at
// commit 45364b5f1e3c2649b1ef889d1bd017276fc531ab
// (deploy/operator/internal/consts/consts.go).
var (
	dgdGVR     = schema.GroupVersionResource{Group: "nvidia.com", Version: "v1alpha1", Resource: "dynamographdeployments"}
	adapterGVR = schema.GroupVersionResource{Group: "nvidia.com", Version: "v1alpha1", Resource: "dynamographdeploymentscalingadapters"}
)

const (
	labelGraph     = "nvidia.com/dynamo-graph-deployment-name"
	labelComponent = "nvidia.com/dynamo-component"
)

// Workers runs a graph's prefill and decode workers: the pods the
// operator's Deployments would run.
type Workers interface {
	// Set asks for n workers of a role (prefill or decode).
	Set(ctx context.Context, role string, n int) error
	// Ready says how many of a role's workers serve.
	Ready(ctx context.Context, role string) (int, error)
}

// Operator plays the part of Dynamo's operator that plannerbench relies
// on, for one namespace, at the commit above:
//
//   - a DynamoGraphDeploymentScalingAdapter <dgd>-<lowercase service>, with
//     the graph and component labels and the service's replicas, for each
//     service whose scalingAdapter.enabled is true
//     (internal/controller/dynamographdeployment_controller.go
//     reconcileScalingAdapters, generateAdapterName);
//   - an adapter's spec.replicas (what its Scale subresource sets) copied
//     into the DGD's service with an Update, and the adapter's
//     status.replicas and selector set
//     (internal/controller/dynamographdeploymentscalingadapter_controller.go
//     Reconcile);
//   - status.services[name] as a Deployment reports it (replicas and
//     updatedReplicas at the desired count, readyReplicas and
//     availableReplicas as the workers serve:
//     internal/controller/dynamocomponentdeployment_controller.go), the
//     Ready condition True when every service serves its replicas, state,
//     and observedGeneration (dynamographdeployment_controller.go
//     Reconcile);
//   - adapters of a deleted DGD deleted (the owner reference the garbage
//     collector follows; this server runs no collector).
//
// It does not make pods, Services, Grove or LeaderWorkerSet resources,
// rolling updates, checkpoints, EPP or topology, and it reads v1alpha1
// only (the CRD at that commit serves no other version). Workers are the
// Workers given; without any, every service serves its replicas at once.
type Operator struct {
	Client    dynamic.Interface
	Namespace string
	Workers   Workers
	// Every is the time between passes (default 20 ms).
	Every time.Duration

	mu       sync.Mutex
	asked    map[string]int // role → what Workers was last asked for
	errs     []error
	conflict int
}

// Run reconciles until ctx ends; errors (conflicts among them) are kept
// for Errors and the pass is retried, as a controller requeues.
func (o *Operator) Run(ctx context.Context) {
	every := o.Every
	if every <= 0 {
		every = 20 * time.Millisecond
	}
	for ctx.Err() == nil {
		if err := o.Reconcile(ctx); err != nil && ctx.Err() == nil {
			o.mu.Lock()
			if apierrors.IsConflict(err) {
				o.conflict++
			} else if len(o.errs) < 5 {
				o.errs = append(o.errs, err)
			}
			o.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
}

// Start runs the operator in the background until the returned stop.
func (o *Operator) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); o.Run(ctx) }()
	return func() { cancel(); <-done }
}

// Errors returns the errors passes met other than conflicts, and how many
// conflicts were retried.
func (o *Operator) Errors() ([]error, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]error(nil), o.errs...), o.conflict
}

// Reconcile makes one pass over the namespace's DGDs and adapters.
func (o *Operator) Reconcile(ctx context.Context) error {
	dgds, err := o.Client.Resource(dgdGVR).Namespace(o.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list DynamoGraphDeployments: %w", err)
	}
	names := map[string]bool{}
	for i := range dgds.Items {
		dgd := &dgds.Items[i]
		names[dgd.GetName()] = true
		if err := o.ensureAdapters(ctx, dgd); err != nil {
			return err
		}
		if err := o.followAdapters(ctx, dgd); err != nil {
			return err
		}
		if err := o.report(ctx, dgd); err != nil {
			return err
		}
	}
	return o.collectOrphans(ctx, names)
}

// ensureAdapters creates the adapter of each service that enables one.
func (o *Operator) ensureAdapters(ctx context.Context, dgd *unstructured.Unstructured) error {
	svcs, _, _ := unstructured.NestedMap(dgd.Object, "spec", "services")
	for name, v := range svcs {
		s, _ := v.(map[string]any)
		if on, _, _ := unstructured.NestedBool(s, "scalingAdapter", "enabled"); !on {
			continue
		}
		a := &unstructured.Unstructured{}
		a.SetAPIVersion("nvidia.com/v1alpha1")
		a.SetKind("DynamoGraphDeploymentScalingAdapter")
		a.SetNamespace(dgd.GetNamespace())
		a.SetName(dgd.GetName() + "-" + strings.ToLower(name))
		a.SetLabels(map[string]string{labelGraph: dgd.GetName(), labelComponent: name})
		a.Object["spec"] = map[string]any{"replicas": replicasOf(s), "dgdRef": map[string]any{"name": dgd.GetName(), "serviceName": name}}
		_, err := o.Client.Resource(adapterGVR).Namespace(dgd.GetNamespace()).Create(ctx, a, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create adapter %s: %w", a.GetName(), err)
		}
	}
	return nil
}

// followAdapters copies each adapter's replicas into its DGD service
// (one Update, which a stale resourceVersion makes a Conflict) and sets
// the adapter's status.
func (o *Operator) followAdapters(ctx context.Context, dgd *unstructured.Unstructured) error {
	list, err := o.Client.Resource(adapterGVR).Namespace(dgd.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: labelGraph + "=" + dgd.GetName()})
	if err != nil {
		return fmt.Errorf("list adapters of %s: %w", dgd.GetName(), err)
	}
	changed := false
	for i := range list.Items {
		a := &list.Items[i]
		svc, _, _ := unstructured.NestedString(a.Object, "spec", "dgdRef", "serviceName")
		want, _, _ := unstructured.NestedInt64(a.Object, "spec", "replicas")
		s, ok, _ := unstructured.NestedMap(dgd.Object, "spec", "services", svc)
		if !ok {
			return fmt.Errorf("adapter %s: service %s not found in DGD %s", a.GetName(), svc, dgd.GetName())
		}
		if replicasOf(s) != want {
			_ = unstructured.SetNestedField(dgd.Object, want, "spec", "services", svc, "replicas")
			changed = true
		}
	}
	if changed {
		updated, err := o.Client.Resource(dgdGVR).Namespace(dgd.GetNamespace()).Update(ctx, dgd, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update DGD %s from its adapters: %w", dgd.GetName(), err)
		}
		*dgd = *updated
	}
	for i := range list.Items {
		a := &list.Items[i]
		want, _, _ := unstructured.NestedInt64(a.Object, "spec", "replicas")
		svc, _, _ := unstructured.NestedString(a.Object, "spec", "dgdRef", "serviceName")
		status := map[string]any{"replicas": want, "selector": fmt.Sprintf("%s=%s,%s=%s", labelGraph, dgd.GetName(), labelComponent, svc)}
		if old, _, _ := unstructured.NestedMap(a.Object, "status"); reflect.DeepEqual(old, status) {
			continue
		}
		a.Object["status"] = status
		if _, err := o.Client.Resource(adapterGVR).Namespace(a.GetNamespace()).UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update adapter %s status: %w", a.GetName(), err)
		}
	}
	return nil
}

// report asks the workers for each worker service's replicas and writes
// what serves into the DGD's status.
func (o *Operator) report(ctx context.Context, dgd *unstructured.Unstructured) error {
	svcs, _, _ := unstructured.NestedMap(dgd.Object, "spec", "services")
	status := map[string]any{}
	ready := true
	var waiting []string
	for name, v := range svcs {
		s, _ := v.(map[string]any)
		want := replicasOf(s)
		serving, err := o.serving(ctx, roleOf(s), int(want))
		if err != nil {
			return err
		}
		if serving < want {
			ready = false
			waiting = append(waiting, fmt.Sprintf("%s: %d/%d ready", name, serving, want))
		}
		status[name] = map[string]any{"componentKind": "Deployment", "componentName": dgd.GetName() + "-" + strings.ToLower(name),
			"componentNames": []any{dgd.GetName() + "-" + strings.ToLower(name)},
			"replicas":       want, "updatedReplicas": want, "readyReplicas": serving, "availableReplicas": serving}
	}
	cond := map[string]any{"type": "Ready", "status": "True", "reason": "AllResourcesAreReady", "message": "All resources are ready"}
	state := "successful"
	if !ready {
		cond = map[string]any{"type": "Ready", "status": "False", "reason": "SomeResourcesAreNotReady", "message": "Resources not ready: " + strings.Join(waiting, "; ")}
		state = "pending"
	}
	old, _, _ := unstructured.NestedMap(dgd.Object, "status")
	next := map[string]any{"services": status, "state": state, "observedGeneration": dgd.GetGeneration()}
	if oldCond, ok := readyCondition(old); ok && oldCond["status"] == cond["status"] && oldCond["message"] == cond["message"] {
		cond["lastTransitionTime"] = oldCond["lastTransitionTime"]
	} else {
		cond["lastTransitionTime"] = time.Now().UTC().Format(time.RFC3339)
	}
	next["conditions"] = []any{cond}
	if reflect.DeepEqual(old, next) {
		return nil
	}
	dgd.Object["status"] = next
	if _, err := o.Client.Resource(dgdGVR).Namespace(dgd.GetNamespace()).UpdateStatus(ctx, dgd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update DGD %s status: %w", dgd.GetName(), err)
	}
	return nil
}

// serving asks Workers for a worker role's replicas and returns how many
// serve; other services (frontend, planner) serve at once.
func (o *Operator) serving(ctx context.Context, role string, want int) (int64, error) {
	if o.Workers == nil || (role != "prefill" && role != "decode") {
		return int64(want), nil
	}
	o.mu.Lock()
	if o.asked == nil {
		o.asked = map[string]int{}
	}
	last, asked := o.asked[role]
	o.mu.Unlock()
	if !asked || last != want {
		if err := o.Workers.Set(ctx, role, want); err != nil {
			return 0, fmt.Errorf("set %s workers to %d: %w", role, want, err)
		}
		o.mu.Lock()
		o.asked[role] = want
		o.mu.Unlock()
	}
	n, err := o.Workers.Ready(ctx, role)
	if err != nil {
		return 0, fmt.Errorf("%s workers: %w", role, err)
	}
	return int64(n), nil
}

// collectOrphans deletes adapters whose DGD is gone.
func (o *Operator) collectOrphans(ctx context.Context, dgds map[string]bool) error {
	list, err := o.Client.Resource(adapterGVR).Namespace(o.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list adapters: %w", err)
	}
	for _, a := range list.Items {
		if dgds[a.GetLabels()[labelGraph]] {
			continue
		}
		err := o.Client.Resource(adapterGVR).Namespace(a.GetNamespace()).Delete(ctx, a.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete adapter %s: %w", a.GetName(), err)
		}
	}
	return nil
}

// replicasOf is a service's replicas; the operator reads a missing field
// as 1.
func replicasOf(s map[string]any) int64 {
	n, ok, _ := unstructured.NestedInt64(s, "replicas")
	if !ok {
		return 1
	}
	return n
}

// roleOf is a service's subComponentType (prefill, decode), else its
// componentType.
func roleOf(s map[string]any) string {
	if r, _, _ := unstructured.NestedString(s, "subComponentType"); r != "" {
		return r
	}
	r, _, _ := unstructured.NestedString(s, "componentType")
	return r
}

func readyCondition(status map[string]any) (map[string]any, bool) {
	conds, _, _ := unstructured.NestedSlice(status, "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
			return m, true
		}
	}
	return nil, false
}

// Pool is Workers for tests: every role's workers serve at once unless
// Hold holds them starting.
type Pool struct {
	mu    sync.Mutex
	want  map[string]int
	ready map[string]int
	held  bool
}

// Set asks for n workers of role.
func (p *Pool) Set(_ context.Context, role string, n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.want == nil {
		p.want, p.ready = map[string]int{}, map[string]int{}
	}
	p.want[role] = n
	if !p.held || n < p.ready[role] {
		p.ready[role] = n
	}
	return nil
}

// Ready says how many of role's workers serve.
func (p *Pool) Ready(_ context.Context, role string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready[role], nil
}

// Hold keeps new workers starting until Release.
func (p *Pool) Hold() { p.mu.Lock(); p.held = true; p.mu.Unlock() }

// Release lets every asked-for worker serve.
func (p *Pool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = false
	for r, n := range p.want {
		p.ready[r] = n
	}
}

// String lists the errors passes met, for a test's failure message.
func (o *Operator) String() string {
	errs, conflicts := o.Errors()
	return fmt.Sprintf("operator: %d conflicts retried, errors %v", conflicts, errs)
}
