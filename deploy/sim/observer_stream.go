package sim

import (
	"sync"
	"time"
)

// streamObserver hands engine progress to an HTTP handler goroutine without
// blocking the engine: it keeps the latest counts and signals a channel of
// capacity one, so a handler that falls behind catches up in one write.
type streamObserver struct {
	mu     sync.Mutex
	n      int
	done   bool
	reason FinishReason
	notify chan struct{}
}

func newStreamObserver() *streamObserver { return &streamObserver{notify: make(chan struct{}, 1)} }

func (o *streamObserver) Token(_ time.Duration, n int) {
	o.mu.Lock()
	o.n = n
	o.mu.Unlock()
	o.signal()
}

func (o *streamObserver) Done(_ time.Duration, r FinishReason) {
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

func (o *streamObserver) state() (n int, done bool, reason FinishReason) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n, o.done, o.reason
}
