package sim

// The KV router of the seed's graph (router: kv): the frontend's Processor
// asks the Router component for a decode worker, which scores each worker
// by the prompt's prefix overlap with the blocks cached there against the
// worker's KV usage and queue. Read from ai-dynamo/dynamo
// examples/llm/components/kv_router.py, Router._cost_function, and
// processor.py (a worker id "" means the Processor's random routing), both
// at commit 02e16f75490465f69b38a5f69bcd89f5bf494f35; the same formula is
// lib/llm/src/kv_router/scheduler.rs DefaultWorkerSelector at commit
// 00564be89016c26794846b1eb66e37e5f7ad3dc8.

// KVRouterScore is the router's prefix score of a worker: the tokens of
// the prompt already cached there as a share of the prompt,
// overlap blocks * block size / prompt tokens.
func KVRouterScore(overlapBlocks, blockSize, promptTokens int) float64 {
	return float64(overlapBlocks) * float64(blockSize) / float64(promptTokens)
}

// KVRouterLogit is a worker's logit: 2 * score - gpu_cache_usage_perc -
// num_requests_waiting / (the most waiting at any worker), the last term 0
// when no worker has requests waiting. The highest logit wins.
func KVRouterLogit(score, kvUsage float64, waiting, maxWaiting int) float64 {
	normalized := 0.0
	if maxWaiting > 0 {
		normalized = float64(waiting) / float64(maxWaiting)
	}
	return 2*score - kvUsage - normalized
}

// routeKV picks s's decode worker among the ready ones by the highest
// KVRouterLogit, ties broken at random; when every logit is 0 (idle
// workers, no overlap) it picks one at random, as the Processor does when
// the router answers no worker. It records the router's hit estimate for
// the chosen worker (upstream passes it on to the disaggregated router).
func (e *Engine) routeKV(s *sequence) *decodeWorker {
	var ready []*decodeWorker
	maxWaiting := 0
	for _, w := range e.decode {
		if w.state == WorkerReady {
			ready = append(ready, w)
			maxWaiting = max(maxWaiting, w.waiting.len())
		}
	}
	if len(ready) == 0 {
		return nil
	}
	var best []*decodeWorker
	var bestScore, bestLogit float64
	allZero := true
	for _, w := range ready {
		overlap := 0
		if e.cfg.PrefixCaching {
			overlap, _ = w.kv.prefixHits(s.req.BlockHashes)
		}
		score := KVRouterScore(overlap, e.cfg.BlockSize, s.req.PromptTokens)
		logit := KVRouterLogit(score, w.kv.utilisation(), w.waiting.len(), maxWaiting)
		if logit != 0 {
			allZero = false
		}
		switch {
		case len(best) == 0 || logit > bestLogit:
			best, bestLogit, bestScore = append(best[:0], w), logit, score
		case logit == bestLogit:
			best = append(best, w)
		}
	}
	if allZero {
		s.routerHitRate = 0
		return ready[e.rng.IntN(len(ready))]
	}
	s.routerHitRate = bestScore
	return best[e.rng.IntN(len(best))]
}
