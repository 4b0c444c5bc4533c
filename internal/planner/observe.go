package planner

import (
	"fmt"
	"io"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ParseMetrics reads a deployment's Prometheus text exposition (the
// simulator's /metrics, or a Dynamo graph exporting the same names) into a
// Sample. gpusPerEngine converts worker counts to GPUs.
func ParseMetrics(r io.Reader, gpusPerEngine int) (Sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return Sample{}, fmt.Errorf("parse metrics: %w", err)
	}
	var s Sample
	type worker struct{ usage, waiting, active float64 }
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
			v := metricValue(m)
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if st, ok := labels["state"]; ok && st != "ready" && isWorkerGauge(name) {
				continue // a Dynamo planner sees only registered (ready) workers
			}
			switch name {
			case "gpu_cache_usage_perc":
				get(labels["worker"]).usage = v
			case "num_requests_waiting":
				get(labels["worker"]).waiting = v
				s.TotalQueuedRequests += v
			case "request_active_slots":
				get(labels["worker"]).active = v
				s.ActiveRequests += v
			case "prefill_queue_size":
				s.PrefillQueueSize = v
			case "workers":
				n := int(v)
				switch labels["role"] + "/" + labels["state"] {
				case "prefill/ready":
					s.PrefillWorkers = n
				case "decode/ready":
					s.DecodeWorkers = n
				case "prefill/starting":
					s.PrefillStarting = n
				case "decode/starting":
					s.DecodeStarting = n
				case "prefill/draining":
					s.PrefillDraining = n
				case "decode/draining":
					s.DecodeDraining = n
				}
			case "num_gpu":
				s.GPUsHeld = int(v)
			case "sim_requests_received_total":
				s.RequestsReceived = v
			case "sim_prompt_tokens_received_total":
				s.PromptTokensReceived = v
			case "sim_output_tokens_requested_total":
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
		s.KVLoads = append(s.KVLoads, KVLoad(w.usage, w.waiting, w.active))
	}
	s.NumGPU = (s.PrefillWorkers + s.DecodeWorkers) * gpusPerEngine
	s.Finish()
	return s, nil
}

func isWorkerGauge(name string) bool {
	return name == "gpu_cache_usage_perc" || name == "num_requests_waiting" || name == "request_active_slots"
}

func metricValue(m *dto.Metric) float64 {
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
