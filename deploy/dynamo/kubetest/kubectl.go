package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// getJSON decodes a GET of url through rt.
func getJSON(ctx context.Context, rt http.RoundTripper, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// KubectlProxy serves the cluster to kubectl on a loopback port and
// returns a kubeconfig for it. apiextensions-apiserver serves /apis but
// not the core group's /api, which kubectl's discovery reads first and
// fails on, nor the /apis group list (kube-apiserver's aggregator serves
// it); the proxy answers /api and /api/v1 with an empty core group (no
// pods here), /apis with the two groups the server has, and passes every other request to the server with the
// administrator's credentials. It stops with the test.
func (c *Cluster) KubectlProxy(t testing.TB) string {
	t.Helper()
	target, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	transport, err := rest.TransportFor(c.Config)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}`)
	})
	mux.HandleFunc("GET /api/v1", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"APIResourceList","groupVersion":"v1","resources":[]}`)
	})
	mux.HandleFunc("GET /apis", func(w http.ResponseWriter, r *http.Request) {
		list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for _, g := range []string{"apiextensions.k8s.io", "nvidia.com"} {
			var group metav1.APIGroup
			if err := getJSON(r.Context(), transport, c.Config.Host+"/apis/"+g, &group); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			list.Groups = append(list.Groups, group)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
	mux.Handle("/", proxy)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	path := filepath.Join(t.TempDir(), "kubectl.kubeconfig")
	if err := writeKubeconfig(&rest.Config{Host: "http://" + ln.Addr().String()}, path); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return path
}
