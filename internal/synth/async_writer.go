package synth

import (
	"io"
	"sync"
)

// asyncWriter hands each chunk to a goroutine that writes it on, so hashing
// and file I/O run on a second core while the generator makes the next rows.
// Chunks keep their order; the first error is reported by a later Write or by
// Close.
type asyncWriter struct {
	dst  io.Writer
	ch   chan []byte
	free chan []byte
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func newAsyncWriter(dst io.Writer, depth int) *asyncWriter {
	a := &asyncWriter{dst: dst, ch: make(chan []byte, depth), free: make(chan []byte, depth+1), done: make(chan struct{})}
	go a.loop()
	return a
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for buf := range a.ch {
		if a.getErr() == nil {
			if _, err := a.dst.Write(buf); err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
		select {
		case a.free <- buf[:0]:
		default:
		}
	}
}

func (a *asyncWriter) getErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Write copies p and queues it.
func (a *asyncWriter) Write(p []byte) (int, error) {
	if err := a.getErr(); err != nil {
		return 0, err
	}
	var buf []byte
	select {
	case buf = <-a.free:
	default:
	}
	a.ch <- append(buf, p...)
	return len(p), nil
}

// Close waits for every queued chunk to be written.
func (a *asyncWriter) Close() error {
	close(a.ch)
	<-a.done
	return a.getErr()
}
