package simserver

import (
	"sync"
	"time"

	"plannerbench/deploy/sim"
)

// streamObserver hands engine progress to an HTTP handler goroutine without
// blocking the engine: it keeps the latest counts and signals a channel of
// capacity one, so a handler that falls behind catches up in one write.
type streamObserver struct {
	mu     sync.Mutex
	n      int
	done   bool
	reason sim.FinishReason
	notify chan struct{}

	// What nvext.timing and usage.prompt_tokens_details report, in engine
	// time: when the request arrived, its prefill began (prefilled: it
	// did) and its first token came; and its cached prompt tokens.
	arrive, firstToken time.Duration
	prefill            sim.PrefillInfo
	prefilled          bool
}

func newStreamObserver() *streamObserver { return &streamObserver{notify: make(chan struct{}, 1)} }

func (o *streamObserver) Token(now time.Duration, n int) {
	o.mu.Lock()
	o.n = n
	if n == 1 {
		o.firstToken = now
	}
	o.mu.Unlock()
	o.signal()
}

func (o *streamObserver) Done(_ time.Duration, r sim.FinishReason) {
	o.mu.Lock()
	o.done, o.reason = true, r
	o.mu.Unlock()
	o.signal()
}

func (o *streamObserver) signal() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

func (o *streamObserver) state() (n int, done bool, reason sim.FinishReason) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n, o.done, o.reason
}

var _ sim.PrefillObserver = (*streamObserver)(nil)

// Prefill notes the prefill's start and the cached tokens (sim.PrefillObserver).
func (o *streamObserver) Prefill(p sim.PrefillInfo) {
	o.mu.Lock()
	o.prefill, o.prefilled = p, true
	o.mu.Unlock()
}

// extras returns the cached tokens and, once the prefill began, Dynamo's
// nvext.timing (prefill_wait_time_ms, and with a first token
// prefill_time_ms and ttft_ms: engine durations divided by scale, the
// engine's seconds per wall second, into wall ms) and nvext.worker_id.
func (o *streamObserver) extras(scale float64) (cached int, timing map[string]float64, workers map[string]uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.prefilled {
		return 0, nil, nil
	}
	p := o.prefill
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / scale }
	timing = map[string]float64{"prefill_wait_time_ms": ms(p.Start - o.arrive)}
	if o.n > 0 {
		timing["prefill_time_ms"] = ms(o.firstToken - p.Start)
		timing["ttft_ms"] = ms(o.firstToken - o.arrive)
	}
	// dp ranks are 0: the simulated engines are not data-parallel.
	workers = map[string]uint64{"prefill_worker_id": p.PrefillWorker, "prefill_dp_rank": 0, "decode_worker_id": p.DecodeWorker, "decode_dp_rank": 0}
	return p.CachedTokens, timing, workers
}
