// Package observe turns a deployment's Prometheus exposition into the
// planners' Sample. The metric names are defined here once: the simulator
// exports them (deploy/sim) and ParseMetrics reads them.
package observe

// Per decode worker gauges; each carries the labels LabelWorker and
// LabelState.
const (
	// GPUCacheUsage is the share of the worker's KV-cache blocks in use (0-1).
	GPUCacheUsage = "gpu_cache_usage_perc"
	// RequestsWaiting counts requests routed to the worker still waiting for KV blocks.
	RequestsWaiting = "num_requests_waiting"
	// ActiveSlots counts sequences holding KV cache on the worker.
	ActiveSlots = "request_active_slots"
	// TotalSlots is max_num_seqs of the worker.
	TotalSlots = "request_total_slots"
	// KVTotalBlocks is the worker's KV-cache size in blocks.
	KVTotalBlocks = "kv_total_blocks"
	// KVDemand is the worker's KV tokens of scheduled plus queued requests
	// as a share of its capacity, the decode load of Dynamo's 2026 planner
	// ((sum_decode_kv_tokens scheduled + queued) / max_kv_tokens, from its
	// forward-pass metrics).
	KVDemand = "sim_kv_demand_perc"
)

// Graph-wide gauges and counters.
const (
	// PrefillQueueSize counts remote-prefill jobs waiting in the shared queue.
	PrefillQueueSize = "prefill_queue_size"
	// PrefillQueuedTokens sums the prompt tokens those jobs still need.
	PrefillQueuedTokens = "sim_prefill_queued_tokens"
	// Workers counts workers by LabelRole and LabelState.
	Workers = "workers"
	// NumGPU counts the GPUs held (starting, ready and draining workers).
	NumGPU = "num_gpu"
	// RequestsReceived, PromptTokensReceived and OutputTokensRequested are
	// cumulative counters the SLA planner derives its load from.
	RequestsReceived      = "sim_requests_received_total"
	PromptTokensReceived  = "sim_prompt_tokens_received_total"
	OutputTokensRequested = "sim_output_tokens_requested_total"
	// SimGPUEnergy and SimGPUBusy are, per worker (one GPU at TP1), the
	// modelled GPU energy in trace-time joules and the time it computed;
	// SimClock is the simulator's clock, which they are measured in.
	SimGPUEnergy = "sim_gpu_energy_joules_total"
	SimGPUBusy   = "sim_gpu_busy_seconds_total"
	SimClock     = "sim_virtual_time_seconds"
)

// Label names and values.
const (
	LabelWorker = "worker"
	LabelRole   = "role"
	LabelState  = "state"

	RolePrefill = "prefill"
	RoleDecode  = "decode"

	StateStarting = "starting"
	StateReady    = "ready"
	StateDraining = "draining"
)
