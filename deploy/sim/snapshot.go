package sim

import (
	"time"

	"plannerbench/schemas"
)

// WorkerSnapshot is one worker's state at an instant.
type WorkerSnapshot struct {
	Name string `json:"name"`
	// InstanceID is the id Dynamo's metrics and nvext.worker_id report.
	InstanceID uint64      `json:"instance_id"`
	Role       string      `json:"role"`
	State      WorkerState `json:"state"`
	// KVUsage is gpu_cache_usage_perc: referenced KV blocks / all blocks (decode).
	KVUsage       float64 `json:"kv_usage"`
	KVBlocksUsed  int     `json:"kv_blocks_used"`
	KVBlocksTotal int     `json:"kv_blocks_total"`
	// Waiting is num_requests_waiting: routed here, no KV blocks yet (decode).
	Waiting int `json:"waiting"`
	// ActiveSlots is request_active_slots: sequences holding KV here (decode).
	ActiveSlots int `json:"active_slots"`
	Running     int `json:"running"`
	// KVDemand is KV blocks in use plus those queued requests need, over
	// all blocks (decode).
	KVDemand float64 `json:"kv_demand"`
	// EnergyJ is the worker's GPU energy so far (profile's power model),
	// ComputingSeconds its time computing steps.
	EnergyJ          float64 `json:"energy_j"`
	ComputingSeconds float64 `json:"computing_seconds"`
	// Busy says a prefill worker is running a job.
	Busy bool `json:"busy"`
}

// Snapshot is the graph's state at an instant, the source of /metrics and of
// the planner's observations.
type Snapshot struct {
	Now          time.Duration `json:"now"`
	PrefillQueue int           `json:"prefill_queue_size"`
	// PrefillQueuedTokens sums the tokens the queued jobs still need.
	PrefillQueuedTokens int              `json:"prefill_queued_tokens"`
	Routing             int              `json:"routing"`
	Workers             []WorkerSnapshot `json:"workers"`
	NumGPU              int              `json:"num_gpu"`
	Counters            Counters         `json:"counters"`
}

// Count returns the number of workers of role in state.
func (s Snapshot) Count(role string, state WorkerState) int {
	n := 0
	for _, w := range s.Workers {
		if w.Role == role && w.State == state {
			n++
		}
	}
	return n
}

// Snapshot reports the current state. Stopped workers are not listed; every
// listed worker (starting, ready or draining) holds its GPUs.
func (e *Engine) Snapshot() Snapshot {
	s := Snapshot{Now: e.now, PrefillQueue: e.queued, Routing: len(e.routing), Counters: e.counters}
	for _, q := range e.prefillQueue {
		if !q.aborted {
			s.PrefillQueuedTokens += q.prefillTokens - q.prefilled
		}
	}
	for _, w := range e.prefill {
		s.Workers = append(s.Workers, WorkerSnapshot{Name: w.name(), InstanceID: w.instanceID(), Role: RolePrefill, State: w.state, Busy: w.busy(),
			EnergyJ: e.prof.EnergyJ(e.now-w.born, w.computedBy(e.now)), ComputingSeconds: w.computedBy(e.now).Seconds()})
	}
	for _, w := range e.decode {
		s.Workers = append(s.Workers, WorkerSnapshot{
			Name: w.name(), InstanceID: w.instanceID(), Role: RoleDecode, State: w.state,
			KVUsage: w.kv.utilisation(), KVBlocksUsed: w.kv.used, KVBlocksTotal: w.kv.total,
			Waiting: w.waiting.len(), ActiveSlots: w.admitted, Running: len(w.running), KVDemand: w.load(),
			EnergyJ: e.prof.EnergyJ(e.now-w.born, w.computedBy(e.now)), ComputingSeconds: w.computedBy(e.now).Seconds(),
		})
	}
	s.NumGPU = len(s.Workers) * e.cfg.GPUsPerEngine
	return s
}

// ModelledGPUs turns a snapshot into one modelled GPU sample a worker (a
// worker is one GPU at TP1), At = epoch + the snapshot's time: what a live
// case's sampler reads from /metrics, for replays. prev, the previous
// snapshot (nil for the first), gives power and utilisation over the
// interval between them.
func ModelledGPUs(s Snapshot, prev *Snapshot, epoch time.Time) []schemas.GPUSample {
	before := map[string]WorkerSnapshot{}
	if prev != nil {
		for _, w := range prev.Workers {
			before[w.Name] = w
		}
	}
	out := make([]schemas.GPUSample, 0, len(s.Workers))
	for i, w := range s.Workers {
		g := schemas.GPUSample{At: epoch.Add(s.Now), Node: "sim", Index: i, UUID: "sim-" + w.Name,
			Name: "modelled GPU (" + w.Name + ")", Source: schemas.GPUSourceModelled, EnergyJ: w.EnergyJ}
		if b, ok := before[w.Name]; ok && s.Now > prev.Now {
			dt := (s.Now - prev.Now).Seconds()
			g.PowerW = (w.EnergyJ - b.EnergyJ) / dt
			g.UtilizationPct = 100 * (w.ComputingSeconds - b.ComputingSeconds) / dt
		}
		out = append(out, g)
	}
	return out
}
