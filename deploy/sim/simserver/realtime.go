package simserver

import (
	"context"
	"sync"
	"time"

	"plannerbench/deploy/sim"
	"plannerbench/internal/precise"
)

// Realtime drives a sim.Engine against the wall clock: virtual time is wall
// time since start multiplied by the time scale, so every simulated duration
// takes 1/scale of itself. Events fire at their scheduled virtual instant;
// a late wake-up delays delivery, never the model.
type Realtime struct {
	mu    sync.Mutex
	eng   *sim.Engine
	scale float64
	start time.Time
	wake  chan struct{}
}

// NewRealtime wraps eng; virtual time zero is now.
func NewRealtime(eng *sim.Engine, scale float64) *Realtime {
	if scale <= 0 {
		scale = 1
	}
	return &Realtime{eng: eng, scale: scale, start: time.Now(), wake: make(chan struct{}, 1)}
}

// TimeScale returns k: one wall second is k simulated seconds.
func (r *Realtime) TimeScale() float64 { return r.scale }

// virtualNow maps the wall clock to engine time.
func (r *Realtime) virtualNow() time.Duration {
	return time.Duration(float64(time.Since(r.start)) * r.scale)
}

// wallAt is the wall instant of virtual time v.
func (r *Realtime) wallAt(v time.Duration) time.Time {
	return r.start.Add(time.Duration(float64(v) / r.scale))
}

// Do runs fn with the engine brought up to the present, under the lock.
func (r *Realtime) Do(fn func(e *sim.Engine)) {
	r.mu.Lock()
	r.eng.AdvanceTo(r.virtualNow())
	fn(r.eng)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run fires events as their time comes until ctx ends.
func (r *Realtime) Run(ctx context.Context) {
	sleeper := precise.NewSleeper()
	for ctx.Err() == nil {
		r.mu.Lock()
		r.eng.AdvanceTo(r.virtualNow())
		next, ok := r.eng.NextEventAt()
		r.mu.Unlock()
		until := time.Now().Add(time.Hour)
		if ok {
			until = r.wallAt(next)
		}
		sleeper.Until(ctx, until, r.wake)
	}
}
