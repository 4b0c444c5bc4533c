package simserver

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"plannerbench/deploy/sim"
	"plannerbench/internal/observe"
)

// dynamoCollector (part of collector) exports the snapshot again under the names a real
// Dynamo graph with vLLM workers uses (observe.DialectDynamo), so the
// observation path of real backends is exercised against the simulator.
// As in Dynamo, only registered (ready) workers report. The seed graph's
// prefill queue is one shared queue; here each ready prefill worker
// reports an equal share of its jobs and tokens (the shares sum to it).
// vllm:num_requests_running reports the sequences holding KV on a decode
// worker (the simulator's active slots).
type dynamoCollector struct {
	rt                                                             *Realtime
	total, usage, waiting, running                                 *prometheus.Desc
	prefillTokens, decodeBlocks                                    *prometheus.Desc
	requests, queued, inflight, isl, osl                           *prometheus.Desc
	ttft, itl, duration                                            *prometheus.Desc
	modelBlocks, modelCtx, modelSeqs, modelBatched, modelBlockSize *prometheus.Desc
}

// frontendNamespace is the Dynamo namespace the simulated frontend
// reports in its metrics' dynamo_namespace label: Dynamo's default, the one
// an external Dynamo planner filters on (its prometheus.py keeps only
// series with its model and namespace).
const frontendNamespace = "dynamo"

func newDynamoCollector(rt *Realtime) *dynamoCollector {
	worker := []string{observe.LabelWorkerID, observe.LabelWorkerType}
	d := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	// The frontend's series carry the model (lowercased, as Dynamo's
	// frontend writes it) and namespace labels Dynamo's planner filters on.
	model := strings.ToLower(rt.eng.Config().Model)
	front := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, nil, prometheus.Labels{"model": model, "dynamo_namespace": frontendNamespace})
	}
	return &dynamoCollector{
		rt:             rt,
		total:          d(observe.DynamoKVTotalBlocks, "KV cache blocks of the worker.", worker),
		usage:          d(observe.DynamoKVUsage, "Share of the worker's KV cache blocks in use (0-1).", worker),
		waiting:        d(observe.VLLMWaiting, "Requests waiting to be processed.", worker),
		running:        d(observe.VLLMRunning, "Requests holding KV cache on the worker.", worker),
		prefillTokens:  d(observe.DynamoWorkerPrefillTokens, "Queued prefill tokens of the worker.", []string{observe.LabelWorkerID}),
		decodeBlocks:   d(observe.DynamoWorkerDecodeBlocks, "Active and queued decode KV blocks of the worker.", []string{observe.LabelWorkerID}),
		requests:       front(observe.DynamoRequestsTotal, "Requests received."),
		queued:         front(observe.DynamoQueuedRequests, "Requests without a first token yet."),
		inflight:       front(observe.DynamoInflightRequests, "Requests in flight."),
		isl:            front(observe.DynamoInputTokens, "Input sequence length of the requests received."),
		osl:            front(observe.DynamoOutputTokens, "Output tokens requested (max_tokens) of the requests received."),
		ttft:           front(observe.DynamoTTFT, "Time to first token, trace seconds."),
		itl:            front(observe.DynamoITL, "Inter-token latency, trace seconds."),
		duration:       front(observe.DynamoRequestDuration, "Duration of the finished requests, trace seconds."),
		modelBlocks:    d(observe.DynamoModelTotalKVBlocks, "KV blocks of a worker serving the model.", nil),
		modelCtx:       d(observe.DynamoModelContextLength, "Context length of the model.", nil),
		modelSeqs:      d(observe.DynamoModelMaxNumSeqs, "max_num_seqs of a worker.", nil),
		modelBatched:   d(observe.DynamoModelBatchedTokens, "max_num_batched_tokens of a worker.", nil),
		modelBlockSize: d(observe.DynamoModelBlockSize, "KV cache block size.", nil),
	}
}

func (c *dynamoCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.usage, c.waiting, c.running, c.prefillTokens, c.decodeBlocks, c.requests, c.queued,
		c.inflight, c.isl, c.osl, c.ttft, c.itl, c.duration, c.modelBlocks, c.modelCtx, c.modelSeqs, c.modelBatched, c.modelBlockSize} {
		ch <- d
	}
}

// collect exports s (the snapshot the plannerbench names were read from,
// so both sets describe the same instant).
func (c *dynamoCollector) collect(ch chan<- prometheus.Metric, s sim.Snapshot) {
	eng := c.rt.eng
	cfg, prof := eng.Config(), eng.Profile()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	blocks := float64(prof.KVCapacityTokens() / cfg.BlockSize)
	readyPrefill := s.Count(sim.RolePrefill, sim.WorkerReady)
	i := 0
	for _, w := range s.Workers {
		if w.State != sim.WorkerReady {
			continue
		}
		id := strconv.FormatUint(w.InstanceID, 10) // upstream's worker_id: the instance id nvext.worker_id reports
		switch w.Role {
		case sim.RoleDecode:
			gauge(c.total, float64(w.KVBlocksTotal), id, sim.RoleDecode)
			gauge(c.usage, w.KVUsage, id, sim.RoleDecode)
			gauge(c.waiting, float64(w.Waiting), id, sim.RoleDecode)
			gauge(c.running, float64(w.ActiveSlots), id, sim.RoleDecode)
			gauge(c.decodeBlocks, w.KVDemand*float64(w.KVBlocksTotal), id)
		case sim.RolePrefill:
			jobs := s.PrefillQueue / readyPrefill
			if i < s.PrefillQueue%readyPrefill {
				jobs++
			}
			i++
			gauge(c.total, blocks, id, sim.RolePrefill)
			gauge(c.usage, 0, id, sim.RolePrefill)
			gauge(c.waiting, float64(jobs), id, sim.RolePrefill)
			gauge(c.running, boolFloat(w.Busy), id, sim.RolePrefill)
			gauge(c.prefillTokens, float64(s.PrefillQueuedTokens)/float64(readyPrefill), id)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(s.Counters.Submitted))
	gauge(c.queued, float64(s.Routing+s.PrefillQueue))
	gauge(c.inflight, float64(s.Counters.Submitted-s.Counters.Finished-s.Counters.Aborted))
	ch <- prometheus.MustNewConstHistogram(c.isl, uint64(s.Counters.Submitted), float64(s.Counters.PromptTokens), nil)
	ch <- prometheus.MustNewConstHistogram(c.osl, uint64(s.Counters.Submitted), float64(s.Counters.OutputTokensRequested), nil)
	// Sums and counts only (no buckets): what the planner's
	// increase(_sum)/increase(_count) queries read.
	ch <- prometheus.MustNewConstHistogram(c.ttft, uint64(s.Counters.FirstTokens), s.Counters.TTFTSeconds, nil)
	ch <- prometheus.MustNewConstHistogram(c.itl, uint64(s.Counters.TokenGaps), s.Counters.ITLSeconds, nil)
	ch <- prometheus.MustNewConstHistogram(c.duration, uint64(s.Counters.Finished), s.Counters.DurationSeconds, nil)
	gauge(c.modelBlocks, blocks)
	gauge(c.modelCtx, float64(cfg.MaxModelLen))
	gauge(c.modelSeqs, float64(prof.MaxNumSeqs))
	gauge(c.modelBatched, float64(cfg.MaxNumBatchedTokens))
	gauge(c.modelBlockSize, float64(cfg.BlockSize))
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
