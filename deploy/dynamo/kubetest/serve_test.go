package kubetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// TestStartServesDynamoResources: the CRDs serve, and the operator makes
// an enabled service's adapter and reports the DGD Ready.
func TestStartServesDynamoResources(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := Start(t)
	op := &Operator{Client: c.Dynamic, Namespace: "bench"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	createExample(t, c, "bench")
	if err := op.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := c.Dynamic.Resource(adapterGVR).Namespace("bench").Get(ctx, "vllm-disagg-planner-vllmprefillworker", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	if n, _, _ := unstructured.NestedInt64(a.Object, "status", "replicas"); n != 1 {
		t.Errorf("adapter status.replicas = %d, want 1", n)
	}
	dgd, err := c.Dynamic.Resource(dgdGVR).Namespace("bench").Get(ctx, "vllm-disagg-planner", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cond, _ := readyCondition(dgd.Object["status"].(map[string]any)); cond["status"] != "True" {
		t.Errorf("Ready condition %v", cond)
	}
}

// TestServeForKubectl keeps a server with the example graph running for a
// person with kubectl, only when $PLANNERBENCH_KUBETEST_SERVE names where
// to write its kubeconfig; it stops on Ctrl-C (README: "Looking at the
// objects with kubectl").
func TestServeForKubectl(t *testing.T) {
	path := os.Getenv("PLANNERBENCH_KUBETEST_SERVE")
	if path == "" {
		t.Skip("set PLANNERBENCH_KUBETEST_SERVE=FILE to serve and write the kubeconfig to FILE")
	}
	c := Start(t)
	data, err := os.ReadFile(c.KubectlProxy(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	createExample(t, c, "default")
	op := &Operator{Client: c.Dynamic, Namespace: "default", Every: 200 * time.Millisecond}
	defer op.Start()()
	t.Logf("serving; kubectl --kubeconfig %s get dgd,dgdsa", path)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}

// Debian's kubectl lists and scales the objects through KubectlProxy
// (skipped where no kubectl is installed).
func TestKubectlThroughTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on PATH")
	}
	c := Start(t)
	kc := c.KubectlProxy(t)
	createExample(t, c, "default")
	op := &Operator{Client: c.Dynamic, Namespace: "default"}
	defer op.Start()()
	run := func(args ...string) string {
		out, err := exec.Command(kubectl, append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("get", "dgd"); !strings.Contains(out, "vllm-disagg-planner") {
		t.Fatalf("kubectl get dgd:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(run("get", "dgdsa"), "vllm-disagg-planner-vllmprefillworker") {
		if time.Now().After(deadline) {
			t.Fatal("no adapter listed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	run("scale", "dgdsa", "vllm-disagg-planner-vllmprefillworker", "--replicas", "3")
	for run("get", "dgd", "vllm-disagg-planner", "-o", "jsonpath={.spec.services.VllmPrefillWorker.replicas}") != "3" {
		if time.Now().After(deadline) {
			t.Fatal("kubectl scale did not reach the DGD")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// createExample creates Dynamo's example graph with an adapter on its
// prefill worker.
func createExample(t *testing.T, c *Cluster, ns string) {
	data, err := os.ReadFile("../testdata/disagg_planner.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if data, err = EnableAdapters(data, "VllmPrefillWorker"); err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096).Decode(&obj.Object); err != nil {
		t.Fatal(err)
	}
	obj.SetNamespace(ns)
	if _, err := c.Dynamic.Resource(dgdGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
