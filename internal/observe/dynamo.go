package observe

import (
	"fmt"
	"io"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"plannerbench/schemas"
)

// Metric dialects: which names a deployment's /metrics is read by.
const (
	// DialectPlannerbench reads the simulator's own names (names.go).
	DialectPlannerbench = "plannerbench"
	// DialectDynamo reads what a real Dynamo graph with vLLM workers
	// exposes: dynamo_frontend_*, dynamo_component_kvstats_* and the
	// workers' vllm:* gauges (docs/metrics.md has the table).
	DialectDynamo = "dynamo"
)

// Names of a Dynamo graph's metrics, from ai-dynamo/dynamo
// lib/runtime/src/metrics/prometheus_names.rs (commit
// 04070c75b52f33346a2d5723eed93a0093e77bad: frontend_service,
// kvstats and labels), and of vLLM v1's, from vllm-project/vllm
// vllm/v1/metrics/loggers.py (commit a6f0308cfe806b7731ad4979c9bea6e470c35efd).
const (
	DynamoRequestsTotal       = "dynamo_frontend_requests_total"
	DynamoQueuedRequests      = "dynamo_frontend_queued_requests"
	DynamoInflightRequests    = "dynamo_frontend_inflight_requests"
	DynamoInputTokens         = "dynamo_frontend_input_sequence_tokens"  // histogram: _sum is prompt tokens received
	DynamoOutputTokens        = "dynamo_frontend_output_sequence_tokens" // histogram
	DynamoTTFT                = "dynamo_frontend_time_to_first_token_seconds"
	DynamoITL                 = "dynamo_frontend_inter_token_latency_seconds"
	DynamoRequestDuration     = "dynamo_frontend_request_duration_seconds"
	DynamoWorkerPrefillTokens = "dynamo_frontend_worker_active_prefill_tokens" // per worker_id: queued prefill tokens
	DynamoWorkerDecodeBlocks  = "dynamo_frontend_worker_active_decode_blocks"  // per worker_id: the router's active decode blocks
	DynamoModelTotalKVBlocks  = "dynamo_frontend_model_total_kv_blocks"
	DynamoModelContextLength  = "dynamo_frontend_model_context_length"
	DynamoModelMaxNumSeqs     = "dynamo_frontend_model_max_num_seqs"
	DynamoModelBatchedTokens  = "dynamo_frontend_model_max_num_batched_tokens"
	DynamoModelBlockSize      = "dynamo_frontend_model_kv_cache_block_size"
	DynamoKVTotalBlocks       = "dynamo_component_kvstats_total_blocks"
	DynamoKVActiveBlocks      = "dynamo_component_kvstats_active_blocks"
	DynamoKVUsage             = "dynamo_component_kvstats_gpu_cache_usage_percent"

	VLLMKVUsage       = "vllm:kv_cache_usage_perc"
	VLLMKVUsageV0     = "vllm:gpu_cache_usage_perc" // the older name, still read
	VLLMWaiting       = "vllm:num_requests_waiting"
	VLLMRunning       = "vllm:num_requests_running"
	LabelWorkerID     = "worker_id"
	LabelWorkerType   = "worker_type"
	LabelDynComponent = "dynamo_component"
)

// ParseMetricsAs reads an exposition with the given dialect's names.
func ParseMetricsAs(r io.Reader, gpusPerEngine int, dialect string) (schemas.Sample, error) {
	switch dialect {
	case "", DialectPlannerbench:
		return ParseMetrics(r, gpusPerEngine)
	case DialectDynamo:
		return parseDynamo(r, gpusPerEngine)
	}
	return schemas.Sample{}, fmt.Errorf("unknown metrics dialect %q (known: %s, %s)", dialect, DialectPlannerbench, DialectDynamo)
}

// dynWorker is one worker's series, by worker_id.
type dynWorker struct {
	role                                   string
	hasTotal                               bool
	total, active, usage, waiting, running float64
	hasUsage, hasActive                    bool
	prefillTokens, decodeBlocks            float64
}

// roleOf reads a series' worker role: the worker_type label, or a
// dynamo_component label naming prefill or decode; "" when neither says.
func roleOf(labels map[string]string) string {
	for _, v := range []string{labels[LabelWorkerType], labels[LabelDynComponent]} {
		v = strings.ToLower(v)
		switch {
		case strings.Contains(v, "prefill"):
			return RolePrefill
		case strings.Contains(v, "decode"), strings.Contains(v, "backend"), v == "vllmworker", v == "worker":
			return RoleDecode
		}
	}
	return ""
}

// parseDynamo maps a Dynamo graph's metrics onto a Sample. A worker is
// ready when it reports kvstats (only registered workers do); starting and
// draining workers are not visible in metrics, so GPUsHeld counts the ready
// ones (a backend with a control plane fills in the rest).
func parseDynamo(r io.Reader, gpusPerEngine int) (schemas.Sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return schemas.Sample{}, fmt.Errorf("parse metrics: %w", err)
	}
	var s schemas.Sample
	workers := map[string]*dynWorker{}
	get := func(labels map[string]string) *dynWorker {
		id := labels[LabelWorkerID]
		w := workers[id]
		if w == nil {
			w = &dynWorker{}
			workers[id] = w
		}
		if role := roleOf(labels); role != "" {
			w.role = role
		}
		return w
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			v := MetricValue(m)
			switch name {
			case DynamoKVTotalBlocks:
				w := get(labels)
				w.total, w.hasTotal = v, true
			case DynamoKVActiveBlocks:
				w := get(labels)
				w.active, w.hasActive = v, true
			case DynamoKVUsage, VLLMKVUsage, VLLMKVUsageV0:
				w := get(labels)
				if !w.hasUsage || name == DynamoKVUsage {
					w.usage, w.hasUsage = v, true
				}
			case VLLMWaiting:
				get(labels).waiting = v
			case VLLMRunning:
				get(labels).running = v
			case DynamoWorkerPrefillTokens:
				get(labels).prefillTokens = v
			case DynamoWorkerDecodeBlocks:
				get(labels).decodeBlocks = v
			case DynamoRequestsTotal:
				s.RequestsReceived += v
			case DynamoInputTokens:
				s.PromptTokensReceived += histogramSum(m)
			case DynamoOutputTokens:
				s.OutputTokensRequested += histogramSum(m)
			}
		}
	}
	ids := make([]string, 0, len(workers))
	for id := range workers {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a stable order: means must not depend on map order
	for _, id := range ids {
		w := workers[id]
		if !w.hasTotal {
			continue // not a registered worker
		}
		usage := w.usage
		if !w.hasUsage && w.hasActive && w.total > 0 {
			usage = w.active / w.total
		}
		switch w.role {
		case RolePrefill:
			s.PrefillWorkers++
			s.PrefillQueueSize += w.waiting
			s.PrefillQueuedTokens += w.prefillTokens
		default:
			s.DecodeWorkers++
			s.KVLoads = append(s.KVLoads, schemas.KVLoad(usage, w.waiting, w.running))
			s.KVUsages = append(s.KVUsages, usage)
			if s.KVUsageByWorker == nil {
				s.KVUsageByWorker = map[string]float64{}
			}
			s.KVUsageByWorker[id] = usage
			demand := usage
			if w.total > 0 && w.decodeBlocks > 0 {
				demand = w.decodeBlocks / w.total
			}
			s.KVDemands = append(s.KVDemands, demand)
			s.TotalQueuedRequests += w.waiting
			s.ActiveRequests += w.running
		}
	}
	s.NumGPU = (s.PrefillWorkers + s.DecodeWorkers) * gpusPerEngine
	s.GPUsHeld = s.NumGPU
	s.Finish()
	return s, nil
}

func histogramSum(m *dto.Metric) float64 {
	if h := m.GetHistogram(); h != nil {
		return h.GetSampleSum()
	}
	return MetricValue(m)
}
