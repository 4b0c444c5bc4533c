package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
)

// SimWorkers are a `sim serve` process's workers: the operator's
// Deployments made of the simulator, whose counts follow the replicas
// (POST /admin/scale) and whose ready workers are the state's
// (GET /admin/state).
type SimWorkers struct {
	// URL is the server's base URL.
	URL string
}

// Set asks the server for n workers of role.
func (s SimWorkers) Set(ctx context.Context, role string, n int) error {
	var req simserver.ScaleRequest
	switch role {
	case sim.RolePrefill:
		req.Prefill = &n
	case sim.RoleDecode:
		req.Decode = &n
	default:
		return fmt.Errorf("role %q: the simulator runs prefill and decode workers", role)
	}
	body, _ := json.Marshal(req)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/admin/scale", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s/admin/scale: %s", s.URL, resp.Status)
	}
	return nil
}

// Ready counts role's serving workers.
func (s SimWorkers) Ready(ctx context.Context, role string) (int, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/admin/state", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var snap sim.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return 0, fmt.Errorf("GET %s/admin/state: %w", s.URL, err)
	}
	return snap.Count(role, sim.WorkerReady), nil
}

// EnableAdapters returns a v1alpha1 DGD manifest with
// `scalingAdapter: {enabled: true}` added to the named services (as a
// graph scaled by Dynamo's planner declares them): each service's block
// gains the lines after its "replicas:" line. It fails on a service it
// cannot find.
func EnableAdapters(manifest []byte, services ...string) ([]byte, error) {
	text := string(manifest)
	for _, svc := range services {
		i := strings.Index(text, "\n    "+svc+":\n")
		if i < 0 {
			return nil, fmt.Errorf("no service %s at spec.services", svc)
		}
		j := strings.Index(text[i:], "\n      replicas:")
		if j < 0 {
			return nil, fmt.Errorf("service %s has no replicas line", svc)
		}
		at := i + j + 1
		text = text[:at] + "      scalingAdapter:\n        enabled: true\n" + text[at:]
	}
	return []byte(text), nil
}
