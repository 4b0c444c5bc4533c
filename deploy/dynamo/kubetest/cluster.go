// Package kubetest gives tests a real Kubernetes API server with Dynamo's
// own CRDs installed, and a small controller that plays the part of
// Dynamo's operator that plannerbench relies on. It is imported by tests
// only: the server is k8s.io/apiextensions-apiserver (custom resources,
// not pods) on an embedded etcd, so nothing outside the process is needed.
package kubetest

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	servertesting "k8s.io/apiextensions-apiserver/pkg/cmd/server/testing"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"plannerbench/internal/extplanner"
)

// crds are Dynamo's CustomResourceDefinitions as upstream generates them
// (each file's header names the commit).
//
//go:embed crds/*.yaml
var crds embed.FS

// Cluster is a running API server with Dynamo's CRDs.
type Cluster struct {
	// Config reaches the server as a cluster administrator.
	Config *rest.Config
	// Kubeconfig is a kubeconfig file for Config: give it to
	// backend.kubeconfig or to kubectl --kubeconfig.
	Kubeconfig string
	// Dynamic is a client for Config.
	Dynamic dynamic.Interface
}

// Start runs an API server for the test (stopped by t.Cleanup) on an
// etcd of its own, installs Dynamo's CRDs and waits until they serve.
func Start(t testing.TB) *Cluster {
	t.Helper()
	dir := t.TempDir()
	etcd, err := extplanner.StartEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Cleanup(etcd.Close)

	// The server delegates authentication and authorization to a
	// kube-apiserver; there is none, so it gets a kubeconfig it never
	// dials and skips the lookup, and admission plugins that would call
	// one are off: the flags of apiextensions-apiserver's own
	// integration fixture (test/integration/fixtures/server.go, v0.37.2).
	// The loopback identity it hands back is a cluster administrator.
	unused := filepath.Join(dir, "delegate.kubeconfig")
	if err := os.WriteFile(unused, []byte(unusedKubeconfig), 0o600); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	srv, err := servertesting.StartTestServer(t, nil, []string{
		"--etcd-prefix", "/plannerbench",
		"--etcd-servers", etcd.URL(),
		"--authentication-skip-lookup",
		"--authentication-kubeconfig", unused,
		"--authorization-kubeconfig", unused,
		"--kubeconfig", unused,
		"--enable-priority-and-fairness=false",
		"--disable-admission-plugins", "NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	}, nil)
	if err != nil {
		t.Fatalf("kubetest: start the API server: %v", err)
	}
	t.Cleanup(srv.TearDownFn)

	c := &Cluster{Config: rest.CopyConfig(srv.ClientConfig), Kubeconfig: filepath.Join(dir, "kubeconfig")}
	c.Config.QPS, c.Config.Burst = 200, 400 // the test controller polls
	if err := writeKubeconfig(c.Config, c.Kubeconfig); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := installCRDs(ctx, c.Config); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return c
}

// installCRDs creates every CRD in crds/ and waits for each to be
// Established (served).
func installCRDs(ctx context.Context, cfg *rest.Config) error {
	cs, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	files, err := crds.ReadDir("crds")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := crds.ReadFile("crds/" + f.Name())
		if err != nil {
			return err
		}
		// The files open with a comment and "---": skip empty documents.
		crd := &apiextensionsv1.CustomResourceDefinition{}
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for crd.Name == "" {
			if err := dec.Decode(crd); err != nil {
				return fmt.Errorf("%s: %w", f.Name(), err)
			}
		}
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create CRD %s: %w", crd.Name, err)
		}
		err = wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not established: %w", crd.Name, err)
		}
	}
	return nil
}

// writeKubeconfig writes cfg (server, its CA, the bearer token) as a
// kubeconfig file.
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, TLSServerName: cfg.ServerName}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "admin", Namespace: "default"}
	kc.CurrentContext = "kubetest"
	return clientcmd.WriteToFile(*kc, path)
}

const unusedKubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster: {server: "http://127.1.2.3:12345"}
  name: unused
contexts:
- context: {cluster: unused, user: unused}
  name: unused
current-context: unused
users:
- name: unused
  user: {username: unused, password: unused}
`
