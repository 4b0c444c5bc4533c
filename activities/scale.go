package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"go.temporal.io/sdk/temporal"

	"plannerbench/deploy/sim"
	"plannerbench/internal/planner"
)

// Scale applies a planner's decision to a deployment and returns its
// workers afterwards. A refusal by the deployment (such as more GPUs than
// the machine has) is not retried: the planner decides again next interval.
func (a *Activities) Scale(ctx context.Context, in ScaleInput) (Workers, error) {
	body, _ := json.Marshal(sim.ScaleRequest{PrefillDelta: in.DeltaPrefill, DecodeDelta: in.DeltaDecode})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.Deployment.URL+"/admin/scale", bytes.NewReader(body))
	if err != nil {
		return Workers{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok := adminToken(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return Workers{}, fmt.Errorf("scale %s: %w", in.Deployment.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusBadRequest {
		return Workers{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("deployment refused to scale: %s", data), "ScaleRefused", nil)
	}
	if resp.StatusCode != http.StatusOK {
		return Workers{}, fmt.Errorf("scale %s: HTTP %d: %s", in.Deployment.URL, resp.StatusCode, data)
	}
	var snap sim.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return Workers{}, fmt.Errorf("scale %s: %w", in.Deployment.URL, err)
	}
	return workersOf(snap.PlannerSample(in.Deployment.GPUsPerEngine)), nil
}

func workersOf(s planner.Sample) Workers {
	return Workers{PrefillReady: s.PrefillWorkers, DecodeReady: s.DecodeWorkers, PrefillStarting: s.PrefillStarting,
		DecodeStarting: s.DecodeStarting, NumGPU: s.GPUsHeld}
}
