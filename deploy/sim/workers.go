package sim

import (
	"fmt"
	"time"

	"plannerbench/internal/observe"
)

// WorkerState is a worker's life-cycle stage.
type WorkerState string

// Worker states.
const (
	WorkerStarting WorkerState = observe.StateStarting // scaled up, not yet serving (start-up delay)
	WorkerReady    WorkerState = observe.StateReady
	WorkerDraining WorkerState = observe.StateDraining // scaled down, finishing its work
	WorkerStopped  WorkerState = "stopped"
)

// Worker roles.
const (
	RolePrefill = observe.RolePrefill
	RoleDecode  = observe.RoleDecode
)

type prefillWorker struct {
	id    int
	state WorkerState
	// batch holds the jobs this worker computes, in order; chunks are the
	// tokens of each computed in the current step.
	batch    []*sequence
	chunks   []int
	stepping bool
	jobs     int
	// born is when the worker took its GPU; computing sums its steps.
	born, computing, stepStart time.Duration
}

// busy says the worker holds jobs.
func (w *prefillWorker) busy() bool { return len(w.batch) > 0 }

// remaining is the prompt tokens its jobs still need.
func (w *prefillWorker) remaining() int {
	n := 0
	for _, s := range w.batch {
		n += s.prefillTokens - s.prefilled
	}
	return n
}

func (w *prefillWorker) name() string { return fmt.Sprintf("prefill-%d", w.id) }

type decodeWorker struct {
	id    int
	state WorkerState
	kv    *kvPool
	// waiting holds routed sequences without KV blocks yet, in order.
	waiting seqQueue
	// admitted counts sequences holding KV here, wherever they are.
	admitted     int
	joining      []*sequence
	localPrefill []*sequence
	// chunks are the local prefill tokens computed in the current step.
	chunks   []int
	running  []*sequence
	stepping bool
	steps    int
	lastStep time.Duration
	// born is when the worker took its GPU; computing sums its steps.
	born, computing time.Duration
}

func (w *decodeWorker) name() string { return fmt.Sprintf("decode-%d", w.id) }

// load orders decode workers for the router: KV in use plus KV that queued
// requests will need, as a share of the cache.
func (w *decodeWorker) load() float64 {
	return float64(w.kv.used+w.waiting.blocks) / float64(w.kv.total)
}

// retire frees a sequence's KV cache and slot on this worker.
func (w *decodeWorker) retire(s *sequence) {
	w.kv.release(&s.lease)
	w.admitted--
	s.state = seqFinished
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

// seqQueue is a FIFO of sequences that also keeps the KV blocks its members
// will need, so the router reads a worker's load in constant time even when
// an overloaded worker queues many thousands of requests.
type seqQueue struct {
	items     []*sequence
	head      int
	blocks    int
	blockSize int
}

func (q *seqQueue) len() int { return len(q.items) - q.head }

func (q *seqQueue) front() *sequence { return q.items[q.head] }

func (q *seqQueue) need(s *sequence) int { return ceilDiv(s.context()+1, q.blockSize) }

func (q *seqQueue) pushBack(s *sequence) {
	q.items = append(q.items, s)
	q.blocks += q.need(s)
}

// pushFront puts a preempted sequence back at the head.
func (q *seqQueue) pushFront(s *sequence) {
	q.blocks += q.need(s)
	if q.head > 0 {
		q.head--
		q.items[q.head] = s
		return
	}
	q.items = append([]*sequence{s}, q.items...)
}

func (q *seqQueue) popFront() *sequence {
	s := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	q.blocks -= q.need(s)
	if q.head > 64 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return s
}

// remove takes s out wherever it is (aborts and drains: rare).
func (q *seqQueue) remove(s *sequence) bool {
	for i := q.head; i < len(q.items); i++ {
		if q.items[i] == s {
			q.blocks -= q.need(s)
			q.items = append(q.items[:i], q.items[i+1:]...)
			return true
		}
	}
	return false
}

// drain empties the queue and returns its members in order.
func (q *seqQueue) drain() []*sequence {
	out := append([]*sequence(nil), q.items[q.head:]...)
	*q = seqQueue{blockSize: q.blockSize}
	return out
}

// computedBy is the time the worker has computed by now, the running step
// counted up to now (so energy rises while a step runs, not at its end).
func (w *prefillWorker) computedBy(now time.Duration) time.Duration {
	if w.stepping {
		return w.computing + now - w.stepStart
	}
	return w.computing
}

// computedBy is the time the worker has computed by now, the running step
// counted up to now.
func (w *decodeWorker) computedBy(now time.Duration) time.Duration {
	if w.stepping {
		return w.computing + now - w.lastStep
	}
	return w.computing
}

// instanceID is the worker's id as Dynamo reports it in nvext.worker_id:
// nonzero (upstream's are etcd lease ids) and distinct across roles, so a
// prefill worker never shares one with a decode worker.
func (w *decodeWorker) instanceID() uint64 { return uint64(w.id)*2 + 2 }

// instanceID: see decodeWorker.instanceID.
func (w *prefillWorker) instanceID() uint64 { return uint64(w.id)*2 + 1 }
