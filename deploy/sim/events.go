package sim

import (
	"container/heap"
	"time"
)

// event is a scheduled callback; seq orders events at the same instant by
// the order they were scheduled, which keeps runs deterministic.
type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = event{}
	*q = old[:len(old)-1]
	return e
}

// Schedule runs fn at virtual time at (not before now).
func (e *Engine) Schedule(at time.Duration, fn func()) {
	if at < e.now {
		at = e.now
	}
	e.seq++
	heap.Push(&e.events, event{at: at, seq: e.seq, fn: fn})
}

// NextEventAt returns the time of the earliest pending event.
func (e *Engine) NextEventAt() (time.Duration, bool) {
	if len(e.events) == 0 {
		return 0, false
	}
	return e.events[0].at, true
}

// AdvanceTo runs every event due at or before t, in order, then sets the
// clock to t (or leaves it, if t is in the past).
func (e *Engine) AdvanceTo(t time.Duration) {
	for len(e.events) > 0 && e.events[0].at <= t {
		ev := heap.Pop(&e.events).(event)
		e.now = ev.at
		ev.fn()
	}
	if t > e.now {
		e.now = t
	}
}

// RunUntilIdle runs events until none is left, or until the clock would
// pass limit; it returns the final time.
func (e *Engine) RunUntilIdle(limit time.Duration) time.Duration {
	for len(e.events) > 0 && e.events[0].at <= limit {
		ev := heap.Pop(&e.events).(event)
		e.now = ev.at
		ev.fn()
	}
	return e.now
}
