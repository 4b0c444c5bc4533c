package observe

import (
	"fmt"
	"io"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"plannerbench/schemas"
)

// ParseMetrics reads a deployment's Prometheus text exposition (the
// simulator's /metrics, or a Dynamo graph exporting the same names) into a
// schemas.Sample. gpusPerEngine converts worker counts to GPUs.
func ParseMetrics(r io.Reader, gpusPerEngine int) (schemas.Sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return schemas.Sample{}, fmt.Errorf("parse metrics: %w", err)
	}
	var s schemas.Sample
	type worker struct{ usage, waiting, active, demand float64 }
	workers := map[string]*worker{}
	get := func(name string) *worker {
		w := workers[name]
		if w == nil {
			w = &worker{}
			workers[name] = w
		}
		return w
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			v := MetricValue(m)
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if st, ok := labels[LabelState]; ok && st != StateReady && isWorkerGauge(name) {
				continue // a Dynamo planner sees only registered (ready) workers
			}
			switch name {
			case GPUCacheUsage:
				get(labels[LabelWorker]).usage = v
			case KVDemand:
				get(labels[LabelWorker]).demand = v
			case PrefillQueuedTokens:
				s.PrefillQueuedTokens = v
			case RequestsWaiting:
				get(labels[LabelWorker]).waiting = v
				s.TotalQueuedRequests += v
			case ActiveSlots:
				get(labels[LabelWorker]).active = v
				s.ActiveRequests += v
			case PrefillQueueSize:
				s.PrefillQueueSize = v
			case Workers:
				n := int(v)
				switch labels[LabelRole] + "/" + labels[LabelState] {
				case RolePrefill + "/" + StateReady:
					s.PrefillWorkers = n
				case RoleDecode + "/" + StateReady:
					s.DecodeWorkers = n
				case RolePrefill + "/" + StateStarting:
					s.PrefillStarting = n
				case RoleDecode + "/" + StateStarting:
					s.DecodeStarting = n
				case RolePrefill + "/" + StateDraining:
					s.PrefillDraining = n
				case RoleDecode + "/" + StateDraining:
					s.DecodeDraining = n
				}
			case NumGPU:
				s.GPUsHeld = int(v)
			case RequestsReceived:
				s.RequestsReceived = v
			case PromptTokensReceived:
				s.PromptTokensReceived = v
			case OutputTokensRequested:
				s.OutputTokensRequested = v
			}
		}
	}
	names := make([]string, 0, len(workers))
	for n := range workers {
		names = append(names, n)
	}
	sort.Strings(names) // stable order: the mean must not depend on map order
	for _, n := range names {
		w := workers[n]
		s.KVLoads = append(s.KVLoads, schemas.KVLoad(w.usage, w.waiting, w.active))
		s.KVUsages = append(s.KVUsages, w.usage)
		s.KVDemands = append(s.KVDemands, w.demand)
	}
	s.NumGPU = (s.PrefillWorkers + s.DecodeWorkers) * gpusPerEngine
	s.Finish()
	return s, nil
}

func isWorkerGauge(name string) bool {
	return name == GPUCacheUsage || name == RequestsWaiting || name == ActiveSlots || name == KVDemand
}

// MetricValue reads a gauge, counter or untyped sample (0 for others).
func MetricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}
