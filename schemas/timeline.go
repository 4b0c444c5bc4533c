package schemas

// TimelineRow is one metric sample of a case (every metric pulling
// interval, 1 s by default): the seed's six metrics, the workers by state,
// and, on rows where the planner decided, its decision.
type TimelineRow struct {
	// TS is the time since the case's start, in trace seconds.
	TS            float64 `json:"t_s"`
	AverageKVLoad float64 `json:"average_kv_load"`
	// KVUsage is the decode workers' mean gpu_cache_usage_perc.
	KVUsage             float64 `json:"kv_usage"`
	PrefillQueueSize    float64 `json:"prefill_queue_size"`
	TotalQueuedRequests float64 `json:"total_queued_requests"`
	NumPrefillWorkers   int32   `json:"num_prefill_workers"`
	NumDecodeWorkers    int32   `json:"num_decode_workers"`
	// NumGPU is the seed's num_gpu: ready workers' GPUs.
	NumGPU int32 `json:"num_gpu"`
	// GPUsHeld also counts workers starting or draining.
	GPUsHeld        int32 `json:"gpus_held"`
	PrefillStarting int32 `json:"prefill_starting"`
	DecodeStarting  int32 `json:"decode_starting"`
	PrefillDraining int32 `json:"prefill_draining"`
	DecodeDraining  int32 `json:"decode_draining"`
	// Decision fields are set on rows where an adjustment interval ended.
	Decided      bool   `json:"decided"`
	DeltaPrefill int32  `json:"delta_prefill"`
	DeltaDecode  int32  `json:"delta_decode"`
	Reason       string `json:"reason,omitempty"`
	// Inputs is the decision's inputs as JSON.
	Inputs string `json:"inputs,omitempty"`
	// PlannerWaiting marks samples taken while a blocking planner waited
	// for a change to take: the planner itself sampled nothing then.
	PlannerWaiting bool `json:"planner_waiting,omitempty"`
	// KVUsageByWorker is the sample's decode workers' cache usage by
	// instance id (see Sample.KVUsageByWorker); nil where the source had
	// no instance ids.
	KVUsageByWorker map[string]float64 `json:"kv_usage_by_worker,omitempty"`
}
