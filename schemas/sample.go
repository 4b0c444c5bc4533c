package schemas

import "time"

// Sample is one metric pull (every metric_pulling_interval) from a
// deployment: the six metrics of the seed plus the worker counts by state.
type Sample struct {
	// At is the sample's time since the benchmark started, in trace time.
	At time.Duration `json:"at"`
	// KVLoads holds one load per ready decode worker: gpu_cache_usage_perc,
	// plus 0.02 per waiting request when the worker has active slots (the
	// load planner's estimate of the cache the waiting requests will take).
	KVLoads []float64 `json:"kv_loads"`
	// AverageKVLoad is the mean of KVLoads.
	AverageKVLoad float64 `json:"average_kv_load"`
	// KVUsages holds each ready decode worker's gpu_cache_usage_perc alone,
	// and KVUsage their mean: the cache share in use, which the engine's
	// step time depends on (calibration reads it).
	KVUsages []float64 `json:"kv_usages"`
	KVUsage  float64   `json:"kv_usage"`
	// KVUsageByWorker is each ready decode worker's gpu_cache_usage_perc
	// by its instance id (the Dynamo metrics' worker_id label, which
	// nvext.worker_id also reports), where the source names instances
	// (Dynamo's metric names, a simulator snapshot): calibrate pairs a
	// request with its own decode worker's cache through it.
	KVUsageByWorker map[string]float64 `json:"kv_usage_by_worker,omitempty"`
	// KVDemands holds each ready decode worker's KV tokens of scheduled and
	// queued requests over its capacity (Dynamo 2026 planner's decode load).
	KVDemands []float64 `json:"kv_demands,omitempty"`
	// PrefillQueuedTokens sums the prompt tokens the queued prefill jobs
	// still need (the 2026 planner's prefill load).
	PrefillQueuedTokens float64 `json:"prefill_queued_tokens,omitempty"`
	PrefillQueueSize    float64 `json:"prefill_queue_size"`
	TotalQueuedRequests float64 `json:"total_queued_requests"`
	ActiveRequests      float64 `json:"active_requests"`
	// PrefillWorkers and DecodeWorkers count ready workers: the endpoints a
	// Dynamo planner sees.
	PrefillWorkers int `json:"num_prefill_workers"`
	DecodeWorkers  int `json:"num_decode_workers"`
	// NumGPU is the seed's num_gpu: ready workers times GPUs an engine.
	NumGPU int `json:"num_gpu"`
	// GPUsHeld also counts workers starting up or draining, which hold GPUs
	// without serving.
	GPUsHeld        int `json:"gpus_held"`
	PrefillStarting int `json:"prefill_starting"`
	DecodeStarting  int `json:"decode_starting"`
	PrefillDraining int `json:"prefill_draining"`
	DecodeDraining  int `json:"decode_draining"`
	// Cumulative request counters, for the SLA planner's load estimate.
	RequestsReceived      float64 `json:"requests_received"`
	PromptTokensReceived  float64 `json:"prompt_tokens_received"`
	OutputTokensRequested float64 `json:"output_tokens_requested"`
	// LateMS is how long after At a live run's scrape took the snapshot
	// (the request's midpoint), in trace milliseconds: its timing noise,
	// which a replay can keep (replay.Timing). Zero in a replay.
	LateMS float64 `json:"late_ms,omitempty"`
}

// LateMS is how long after its nominal wall instant at came, in trace
// milliseconds (wall time times the time scale): the late_ms of samples
// and decisions.
func LateMS(at, nominal time.Time, timeScale float64) float64 {
	return float64(at.Sub(nominal)) * timeScale / float64(time.Millisecond)
}

// KVLoad is the load planner's view of one decode worker.
func KVLoad(cacheUsage, waiting, activeSlots float64) float64 {
	if activeSlots > 0 && waiting > 0 {
		return cacheUsage + 0.02*waiting
	}
	return cacheUsage
}

// Finish fills AverageKVLoad and KVUsage from KVLoads and KVUsages.
func (s *Sample) Finish() {
	s.AverageKVLoad = Mean(s.KVLoads)
	s.KVUsage = Mean(s.KVUsages)
}

// Mean is the plain mean of v, 0 for none.
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}
