package schemas

import "time"

// DeploymentRef is a running deployment as every stage of a case sees it:
// where to send requests, where its metrics are, and what the backend needs
// to find it again. It is plain data: it travels through Temporal
// (workflow history) and is written to deployment.json, so it never holds a
// secret, only references to one (an environment variable's name, a file's
// path).
type DeploymentRef struct {
	// Backend is the registry name of the backend that made it (sim, …).
	Backend string `json:"backend"`
	// Node is the worker node whose task queue reaches the deployment: where
	// its processes run, or from where its cluster is reached.
	Node string `json:"node"`
	// Dir is the case folder, where the backend keeps its state and logs.
	Dir string `json:"dir"`
	// Resource names what the backend created or adopted, in the backend's
	// own terms (the simulator: "pid/1234"; Kubernetes: "namespace/name").
	Resource string `json:"resource"`
	// URL is the OpenAI-compatible base URL (without /v1).
	URL string `json:"url"`
	// MetricsURLs are the Prometheus endpoints Observe reads.
	MetricsURLs []string `json:"metrics_urls,omitempty"`
	// MetricsDialect names the metric names MetricsURLs expose
	// ("plannerbench" or "dynamo"; empty means plannerbench).
	MetricsDialect string `json:"metrics_dialect,omitempty"`
	// DCGMURLs are DCGM exporters' /metrics for the deployment's GPUs,
	// sampled where NVML is not local (Kubernetes).
	DCGMURLs []string `json:"dcgm_urls,omitempty"`
	// APIKeyEnv names the workers' environment variable holding the
	// endpoint's API key (never the key).
	APIKeyEnv string `json:"api_key_env,omitempty"`
	// Model is the served model name requests must carry.
	Model string `json:"model"`
	// TimeScale is how much faster than the trace the deployment runs (the
	// simulator only; 1 for real systems).
	TimeScale float64 `json:"time_scale"`
	// GPUsPerEngine converts worker counts into GPUs.
	GPUsPerEngine int `json:"gpus_per_engine"`
	// Scalable is false for a deployment no one can scale (an endpoint
	// without a scaling hook): only the noop planner may run on it.
	Scalable bool `json:"scalable"`
	// Perf is the engines' performance model, when the backend knows it (the
	// simulator's profile, or a calibrated one); the SLA planner needs it.
	Perf *Profile `json:"perf,omitempty"`
}

// Target is the number of workers of each role a deployment should have,
// counting workers serving or still starting. Scaling to a target rather
// than by a change makes a retried Scale harmless.
type Target struct {
	Prefill int `json:"prefill"`
	Decode  int `json:"decode"`
}

// Workers are a deployment's workers by state.
type Workers struct {
	PrefillReady    int `json:"prefill_ready"`
	DecodeReady     int `json:"decode_ready"`
	PrefillStarting int `json:"prefill_starting"`
	DecodeStarting  int `json:"decode_starting"`
	PrefillDraining int `json:"prefill_draining,omitempty"`
	DecodeDraining  int `json:"decode_draining,omitempty"`
	// NumGPU counts the GPUs held, starting and draining workers included.
	NumGPU int `json:"num_gpu"`
	// AppliedAt is when the deployment took a scaling (the midpoint of the
	// backend's call, the asking worker's clock); zero where not known.
	AppliedAt time.Time `json:"applied_at,omitzero"`
	// ReadAt is when the counts were read (the midpoint of the backend's
	// call, the reading worker's clock); zero where not known.
	ReadAt time.Time `json:"read_at,omitzero"`
}

// WorkersOf reads a sample's worker counts.
func WorkersOf(s Sample) Workers {
	return Workers{PrefillReady: s.PrefillWorkers, DecodeReady: s.DecodeWorkers, PrefillStarting: s.PrefillStarting,
		DecodeStarting: s.DecodeStarting, PrefillDraining: s.PrefillDraining, DecodeDraining: s.DecodeDraining, NumGPU: s.GPUsHeld}
}
