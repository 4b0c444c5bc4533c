package sim

import (
	"fmt"
	"time"
)

// WorkerState is a worker's life-cycle stage.
type WorkerState string

// Worker states.
const (
	WorkerStarting WorkerState = "starting" // scaled up, not yet serving (start-up delay)
	WorkerReady    WorkerState = "ready"
	WorkerDraining WorkerState = "draining" // scaled down, finishing its work
	WorkerStopped  WorkerState = "stopped"
)

// Worker roles.
const (
	RolePrefill = "prefill"
	RoleDecode  = "decode"
)

type prefillWorker struct {
	id    int
	state WorkerState
	busy  *sequence
	jobs  int
}

func (w *prefillWorker) name() string { return fmt.Sprintf("prefill-%d", w.id) }

type decodeWorker struct {
	id    int
	state WorkerState
	kv    *kvPool
	// waiting holds routed sequences without KV blocks yet, in order.
	waiting []*sequence
	// admitted counts sequences holding KV here, wherever they are.
	admitted     int
	joining      []*sequence
	localPrefill []*sequence
	running      []*sequence
	stepping     bool
	steps        int
	lastStep     time.Duration
}

func (w *decodeWorker) name() string { return fmt.Sprintf("decode-%d", w.id) }

// load orders decode workers for the router: KV in use plus KV that queued
// requests will need, as a share of the cache.
func (w *decodeWorker) load(blockSize int) float64 {
	need := 0
	for _, s := range w.waiting {
		need += ceilDiv(s.context()+1, blockSize)
	}
	return float64(w.kv.used+need) / float64(w.kv.total)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func removeSeq(list []*sequence, s *sequence) ([]*sequence, bool) {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...), true
		}
	}
	return list, false
}
