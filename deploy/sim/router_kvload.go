package sim

import "time"

// The kv-load router of the seed's benchmark files (Processor router:
// kv-load in ai-dynamo/dynamo docs/guides/planner_benchmark/disagg_1p1d.yml
// and disagg_2p2d.yaml, commit 7d5d6f8c086ac2fc3094cb05d240e8dc71ad4f7d):
// examples/llm/components/processor.py (same commit), RouterType.KV_LOAD,
// sends each request to min(kv_load, key=kv_load.get), the decode worker
// with the lowest gpu_cache_usage_perc in the Processor's
// KvMetricsAggregator. That aggregator is a snapshot: its task
// (lib/llm/src/kv_router/metrics_aggregator.rs, collect_endpoints_task,
// same commit) sleeps 100 ms, then scrapes every worker's stats for a
// fixed 300 ms (lib/runtime/src/component.rs scrape_stats: replies are
// collected until the timeout, "there is no way to know when all
// services have responded"), so the router sees values up to about
// 400 ms old and routes a burst to one worker until the next snapshot.

// DefaultKVLoadRefresh is the age of the kv-load router's snapshot at its
// refresh: the aggregator's 100 ms back-off plus its 300 ms scrape.
const DefaultKVLoadRefresh = 400 * time.Millisecond

// kvLoadEntry is one decode worker in the router's snapshot.
type kvLoadEntry struct {
	w     *decodeWorker
	usage float64
}

// kvLoadView is the kv-load router's snapshot of the decode workers'
// gpu_cache_usage_perc, in the order the scrape's replies came back.
type kvLoadView struct {
	entries []kvLoadEntry
	at      time.Duration
	valid   bool
}

// refreshKVLoad retakes the snapshot when it is older than the refresh
// period. A worker that is not ready is not in it (it publishes no
// stats yet, or no longer). The replies' order is random (whichever
// worker answers first), which decides ties such as idle workers.
func (e *Engine) refreshKVLoad() {
	v := &e.kvLoad
	if v.valid && e.now-v.at < e.cfg.kvLoadRefresh() {
		return
	}
	v.entries, v.at, v.valid = v.entries[:0], e.now, true
	for _, w := range e.decode {
		if w.state == WorkerReady {
			v.entries = append(v.entries, kvLoadEntry{w: w, usage: w.kv.utilisation()})
		}
	}
	e.rng.Shuffle(len(v.entries), func(i, j int) { v.entries[i], v.entries[j] = v.entries[j], v.entries[i] })
}

// routeKVLoad is the decode worker with the lowest usage in the snapshot,
// the first of equals (Python's min keeps the first); nil when the
// snapshot holds no ready worker (the request waits for one).
func (e *Engine) routeKVLoad() *decodeWorker {
	e.refreshKVLoad()
	var best *decodeWorker
	bestUsage := 0.0
	for _, en := range e.kvLoad.entries {
		if en.w.state != WorkerReady {
			continue // drained since the snapshot: the Processor's direct() would fail over
		}
		if best == nil || en.usage < bestUsage {
			best, bestUsage = en.w, en.usage
		}
	}
	return best
}
