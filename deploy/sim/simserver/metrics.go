package simserver

import (
	"github.com/prometheus/client_golang/prometheus"

	"plannerbench/deploy/sim"
	"plannerbench/internal/observe"
)

// collector exports a Snapshot in Prometheus form with the metric names of
// internal/observe (docs/metrics.md): per decode worker gpu_cache_usage_perc, num_requests_waiting
// and request_active_slots; per graph prefill_queue_size, workers by role and
// state, and num_gpu.
type collector struct {
	rt                                        *Realtime
	kvUsage, waiting, active, totalSlots      *prometheus.Desc
	kvBlocks, queue, workers, numGPU, vtime   *prometheus.Desc
	kvDemand, queuedTokens                    *prometheus.Desc
	requests, tokens, prefillTokens, preempts *prometheus.Desc
	received, promptTokens, requested         *prometheus.Desc
	timeScale                                 *prometheus.Desc
	dynamo                                    *dynamoCollector
	energy, computing                         *prometheus.Desc
}

func newCollector(rt *Realtime) *collector {
	worker := []string{observe.LabelWorker, observe.LabelState}
	return &collector{
		rt:            rt,
		dynamo:        newDynamoCollector(rt),
		kvUsage:       prometheus.NewDesc(observe.GPUCacheUsage, "Share of the decode worker's KV-cache blocks in use (0-1).", worker, nil),
		waiting:       prometheus.NewDesc(observe.RequestsWaiting, "Requests routed to the decode worker still waiting for KV blocks.", worker, nil),
		active:        prometheus.NewDesc(observe.ActiveSlots, "Sequences holding KV cache on the decode worker.", worker, nil),
		totalSlots:    prometheus.NewDesc(observe.TotalSlots, "Sequences the decode worker can hold (max_num_seqs).", worker, nil),
		kvBlocks:      prometheus.NewDesc(observe.KVTotalBlocks, "KV-cache blocks of the decode worker.", worker, nil),
		queue:         prometheus.NewDesc(observe.PrefillQueueSize, "Remote-prefill jobs waiting in the shared queue.", nil, nil),
		queuedTokens:  prometheus.NewDesc(observe.PrefillQueuedTokens, "Prompt tokens the queued prefill jobs still need.", nil, nil),
		kvDemand:      prometheus.NewDesc(observe.KVDemand, "KV blocks in use plus those the worker's queued requests need, over all blocks.", worker, nil),
		workers:       prometheus.NewDesc(observe.Workers, "Workers by role and state.", []string{observe.LabelRole, observe.LabelState}, nil),
		numGPU:        prometheus.NewDesc(observe.NumGPU, "GPUs held by the graph (starting, ready and draining workers).", nil, nil),
		vtime:         prometheus.NewDesc(observe.SimClock, "The simulator's virtual clock.", nil, nil),
		timeScale:     prometheus.NewDesc("sim_time_scale", "Simulated seconds per wall second.", nil, nil),
		energy:        prometheus.NewDesc(observe.SimGPUEnergy, "Modelled energy of the worker's GPU (profile's gpu_idle_watts and gpu_busy_watts), trace-time joules.", worker, nil),
		computing:     prometheus.NewDesc(observe.SimGPUBusy, "Trace-time seconds the worker's GPU computed steps.", worker, nil),
		requests:      prometheus.NewDesc("sim_requests_total", "Requests by outcome.", []string{"outcome"}, nil),
		tokens:        prometheus.NewDesc("sim_generated_tokens_total", "Output tokens generated.", nil, nil),
		prefillTokens: prometheus.NewDesc("sim_prefill_tokens_total", "Prompt tokens prefilled (cache hits excluded).", nil, nil),
		preempts:      prometheus.NewDesc("sim_preemptions_total", "Sequences preempted for lack of KV cache.", nil, nil),
		received:      prometheus.NewDesc(observe.RequestsReceived, "Requests received.", nil, nil),
		promptTokens:  prometheus.NewDesc(observe.PromptTokensReceived, "Prompt tokens of the requests received.", nil, nil),
		requested:     prometheus.NewDesc(observe.OutputTokensRequested, "max_tokens of the requests received.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.kvUsage, c.kvDemand, c.queuedTokens, c.waiting, c.active, c.totalSlots, c.kvBlocks, c.queue, c.workers, c.numGPU,
		c.vtime, c.timeScale, c.energy, c.computing, c.requests, c.tokens, c.prefillTokens, c.preempts, c.received, c.promptTokens, c.requested} {
		ch <- d
	}
	c.dynamo.Describe(ch)
}

// Collect takes one snapshot and exports it under both sets of names.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.rt.Snapshot()
	c.dynamo.collect(ch, s)
	maxSeqs := float64(c.rt.eng.Profile().MaxNumSeqs)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, w := range s.Workers {
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, w.Name, string(w.State))
		}
		counter(c.energy, w.EnergyJ)
		counter(c.computing, w.ComputingSeconds)
		if w.Role != sim.RoleDecode {
			continue
		}
		st := string(w.State)
		gauge(c.kvUsage, w.KVUsage, w.Name, st)
		gauge(c.kvDemand, w.KVDemand, w.Name, st)
		gauge(c.waiting, float64(w.Waiting), w.Name, st)
		gauge(c.active, float64(w.ActiveSlots), w.Name, st)
		gauge(c.totalSlots, maxSeqs, w.Name, st)
		gauge(c.kvBlocks, float64(w.KVBlocksTotal), w.Name, st)
	}
	gauge(c.queue, float64(s.PrefillQueue))
	gauge(c.queuedTokens, float64(s.PrefillQueuedTokens))
	for _, role := range []string{sim.RolePrefill, sim.RoleDecode} {
		for _, st := range []sim.WorkerState{sim.WorkerStarting, sim.WorkerReady, sim.WorkerDraining} {
			gauge(c.workers, float64(s.Count(role, st)), role, string(st))
		}
	}
	gauge(c.numGPU, float64(s.NumGPU))
	gauge(c.vtime, s.Now.Seconds())
	gauge(c.timeScale, c.rt.TimeScale())
	counter(c.requests, s.Counters.Finished, "finished")
	counter(c.requests, s.Counters.Aborted, "aborted")
	counter(c.requests, s.Counters.Submitted-s.Counters.Finished-s.Counters.Aborted, "in_flight")
	counter(c.tokens, s.Counters.TokensGenerated)
	counter(c.prefillTokens, s.Counters.PrefillTokens)
	counter(c.preempts, s.Counters.Preemptions)
	counter(c.received, s.Counters.Submitted)
	counter(c.promptTokens, s.Counters.PromptTokens)
	counter(c.requested, s.Counters.OutputTokensRequested)
}
