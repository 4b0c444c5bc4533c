package sim

import (
	"fmt"
)

// Scale sets the number of prefill and decode workers. New workers serve
// after the start-up delay; removed ones go newest first: a worker still
// starting stops at once, a removed prefill worker finishes its job, and a
// removed decode worker takes no new requests and finishes its streams.
func (e *Engine) Scale(prefill, decode int) error {
	if decode < 1 || prefill < 0 || (prefill < 1 && !e.cfg.ConditionalDisagg) {
		return fmt.Errorf("%w: scale to %d prefill and %d decode workers: need at least 1 of each", ErrBadRequest, prefill, decode)
	}
	if e.cfg.MaxGPUs > 0 {
		draining := 0
		for _, w := range e.prefill {
			if w.state == WorkerDraining {
				draining++
			}
		}
		for _, w := range e.decode {
			if w.state == WorkerDraining {
				draining++
			}
		}
		if need := (prefill + decode + draining) * e.cfg.GPUsPerEngine; need > e.cfg.MaxGPUs {
			return fmt.Errorf("%w: %d prefill and %d decode workers (and %d draining) need %d GPUs; the graph has %d",
				ErrBadRequest, prefill, decode, draining, need, e.cfg.MaxGPUs)
		}
	}
	for n := e.activePrefill(); n < prefill; n++ {
		e.addPrefill(WorkerStarting)
	}
	for n := e.activePrefill(); n > prefill; n-- {
		e.removePrefill()
	}
	for n := e.activeDecode(); n < decode; n++ {
		e.addDecode(WorkerStarting)
	}
	for n := e.activeDecode(); n > decode; n-- {
		e.removeDecode()
	}
	return nil
}

// activePrefill counts workers that are or will be serving.
func (e *Engine) activePrefill() int {
	n := 0
	for _, w := range e.prefill {
		if w.state == WorkerStarting || w.state == WorkerReady {
			n++
		}
	}
	return n
}

func (e *Engine) activeDecode() int {
	n := 0
	for _, w := range e.decode {
		if w.state == WorkerStarting || w.state == WorkerReady {
			n++
		}
	}
	return n
}

func (e *Engine) addPrefill(state WorkerState) {
	w := &prefillWorker{id: e.nextPrefill, state: state, born: e.now}
	e.nextPrefill++
	e.prefill = append(e.prefill, w)
	if state == WorkerStarting && !e.faults.NeverReady {
		e.Schedule(e.now+e.startup, func() {
			if w.state == WorkerStarting {
				w.state = WorkerReady
				e.dispatchPrefill()
			}
		})
	}
}

func (e *Engine) addDecode(state WorkerState) {
	w := &decodeWorker{id: e.nextDecode, state: state, kv: newKVPool(e.blocksPerWorker), waiting: seqQueue{blockSize: e.cfg.BlockSize}, born: e.now}
	e.nextDecode++
	e.decode = append(e.decode, w)
	if state == WorkerStarting && !e.faults.NeverReady {
		e.Schedule(e.now+e.startup, func() {
			if w.state == WorkerStarting {
				w.state = WorkerReady
				// A parked request would wait for the kv-load router's
				// next snapshot, at most its refresh period; taking one
				// now keeps the model simple at a cost of under 0.4 s.
				e.kvLoad.valid = false
				parked := e.routing
				e.routing = nil
				for _, s := range parked {
					e.route(s)
				}
			}
		})
	}
}

// removePrefill retires the newest worker, preferring one still starting,
// then an idle one.
func (e *Engine) removePrefill() {
	var victim *prefillWorker
	for _, pref := range []func(*prefillWorker) bool{
		func(w *prefillWorker) bool { return w.state == WorkerStarting },
		func(w *prefillWorker) bool { return w.state == WorkerReady && !w.busy() },
		func(w *prefillWorker) bool { return w.state == WorkerReady },
	} {
		for i := len(e.prefill) - 1; i >= 0 && victim == nil; i-- {
			if pref(e.prefill[i]) {
				victim = e.prefill[i]
			}
		}
		if victim != nil {
			break
		}
	}
	if victim == nil {
		return
	}
	if victim.busy() {
		victim.state = WorkerDraining
		return
	}
	e.stopPrefill(victim)
}

func (e *Engine) stopPrefill(w *prefillWorker) {
	w.state = WorkerStopped
	for i, x := range e.prefill {
		if x == w {
			e.prefill = append(e.prefill[:i], e.prefill[i+1:]...)
			break
		}
	}
}

// removeDecode retires the newest worker, preferring one still starting,
// then the least busy. Requests queued there without KV go back to the
// router; sequences it holds finish there.
func (e *Engine) removeDecode() {
	var victim *decodeWorker
	for i := len(e.decode) - 1; i >= 0; i-- {
		if e.decode[i].state == WorkerStarting {
			victim = e.decode[i]
			break
		}
	}
	if victim == nil {
		for i := len(e.decode) - 1; i >= 0; i-- {
			w := e.decode[i]
			if w.state == WorkerReady && (victim == nil || w.admitted < victim.admitted) {
				victim = w
			}
		}
	}
	if victim == nil {
		return
	}
	if victim.state == WorkerStarting {
		e.stopDecode(victim)
		return
	}
	victim.state = WorkerDraining
	var reroute []*sequence
	for _, s := range victim.waiting.drain() {
		if s.generated > 0 {
			victim.waiting.pushBack(s) // preempted mid-stream: resumes where its tokens are
		} else {
			reroute = append(reroute, s)
		}
	}
	for _, s := range reroute {
		e.route(s)
	}
	e.afterRelease(victim)
}

func (e *Engine) stopDecode(w *decodeWorker) {
	w.state = WorkerStopped
	for i, x := range e.decode {
		if x == w {
			e.decode = append(e.decode[:i], e.decode[i+1:]...)
			break
		}
	}
}
