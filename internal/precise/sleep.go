// Package precise sleeps until an instant with sub-millisecond accuracy.
//
// Go's timers can fire up to a millisecond late in an otherwise idle
// process (the network poller waits in whole milliseconds). That is too
// coarse for a load driver whose lateness goal is 2 ms at p99, or for a
// simulator whose token timings are checked to the millisecond. So the
// bulk of a wait uses a timer and the last stretch uses nanosleep(2),
// accurate to tens of microseconds, on the calling goroutine's thread.
package precise

import (
	"context"
	"syscall"
	"time"
)

// coarse is how early the timer part of a wait ends.
const coarse = 1200 * time.Microsecond

// Sleeper waits for instants; its timer is reused across waits.
type Sleeper struct {
	timer *time.Timer
}

// NewSleeper returns a Sleeper.
func NewSleeper() *Sleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Sleeper{timer: t}
}

// Until blocks until t. It returns false at once if ctx ends or wake
// receives during the coarse part of the wait (the fine part, at most
// about a millisecond, is not interruptible); wake may be nil.
func (s *Sleeper) Until(ctx context.Context, t time.Time, wake <-chan struct{}) bool {
	for {
		d := time.Until(t)
		if d <= 0 {
			return true
		}
		if d > coarse {
			s.timer.Reset(d - coarse)
			select {
			case <-s.timer.C:
				continue
			case <-ctx.Done():
			case <-wake:
			}
			if !s.timer.Stop() {
				select {
				case <-s.timer.C:
				default:
				}
			}
			return false
		}
		ts := syscall.NsecToTimespec(int64(d))
		_ = syscall.Nanosleep(&ts, nil)
	}
}
