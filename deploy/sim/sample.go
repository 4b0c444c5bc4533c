package sim

import (
	"strconv"

	"plannerbench/schemas"
)

// PlannerSample is the planner's view of the snapshot, the same Sample that
// observe.ParseMetrics builds from this graph's /metrics: only ready decode
// workers report KV load, as only registered workers do in Dynamo.
func (s Snapshot) PlannerSample(gpusPerEngine int) schemas.Sample {
	p := schemas.Sample{
		At:                    s.Now,
		PrefillQueueSize:      float64(s.PrefillQueue),
		PrefillQueuedTokens:   float64(s.PrefillQueuedTokens),
		GPUsHeld:              s.NumGPU,
		RequestsReceived:      float64(s.Counters.Submitted),
		PromptTokensReceived:  float64(s.Counters.PromptTokens),
		OutputTokensRequested: float64(s.Counters.OutputTokensRequested),
	}
	for _, w := range s.Workers {
		switch {
		case w.Role == RolePrefill && w.State == WorkerReady:
			p.PrefillWorkers++
		case w.Role == RolePrefill && w.State == WorkerStarting:
			p.PrefillStarting++
		case w.Role == RolePrefill && w.State == WorkerDraining:
			p.PrefillDraining++
		case w.Role == RoleDecode && w.State == WorkerStarting:
			p.DecodeStarting++
		case w.Role == RoleDecode && w.State == WorkerDraining:
			p.DecodeDraining++
		case w.Role == RoleDecode && w.State == WorkerReady:
			p.DecodeWorkers++
			p.KVLoads = append(p.KVLoads, schemas.KVLoad(w.KVUsage, float64(w.Waiting), float64(w.ActiveSlots)))
			p.KVUsages = append(p.KVUsages, w.KVUsage)
			if p.KVUsageByWorker == nil {
				p.KVUsageByWorker = map[string]float64{}
			}
			p.KVUsageByWorker[strconv.FormatUint(w.InstanceID, 10)] = w.KVUsage
			p.KVDemands = append(p.KVDemands, w.KVDemand)
			p.TotalQueuedRequests += float64(w.Waiting)
			p.ActiveRequests += float64(w.ActiveSlots)
		}
	}
	p.NumGPU = (p.PrefillWorkers + p.DecodeWorkers) * gpusPerEngine
	p.Finish()
	return p
}
