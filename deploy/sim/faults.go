package sim

import (
	"fmt"
	"strings"

	"plannerbench/schemas"
)

// Faults are failures a real graph has, injected on purpose: in the graph
// configuration (faults:) or at run time (POST /admin/faults). The zero
// value injects nothing.
type Faults struct {
	// HTTPErrorRate is the share of generation requests answered 503
	// before they reach the engine (an overloaded or restarting frontend).
	HTTPErrorRate float64 `yaml:"http_error_rate,omitempty" json:"http_error_rate,omitempty"`
	// LatencySpikeRate is the share of requests whose first token is held
	// back by LatencySpike (trace time) on top of the model's timing.
	LatencySpikeRate float64          `yaml:"latency_spike_rate,omitempty" json:"latency_spike_rate,omitempty"`
	LatencySpike     schemas.Duration `yaml:"latency_spike,omitempty" json:"latency_spike,omitempty"`
	// StreamDropRate is the share of streams cut after their first token:
	// the connection closes without the end of the stream.
	StreamDropRate float64 `yaml:"stream_drop_rate,omitempty" json:"stream_drop_rate,omitempty"`
	// NeverReady makes workers added by scaling never become ready.
	NeverReady bool `yaml:"never_ready,omitempty" json:"never_ready,omitempty"`
	// Metrics breaks /metrics: "error" answers 500, "garbage" answers 200
	// with text no Prometheus parser reads.
	Metrics string `yaml:"metrics,omitempty" json:"metrics,omitempty"`
}

// Metrics faults.
const (
	MetricsError   = "error"
	MetricsGarbage = "garbage"
)

// Validate returns every problem with the faults.
func (f Faults) Validate() error {
	var errs []string
	for _, r := range []struct {
		name string
		v    float64
	}{{"http_error_rate", f.HTTPErrorRate}, {"latency_spike_rate", f.LatencySpikeRate}, {"stream_drop_rate", f.StreamDropRate}} {
		if r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Sprintf("faults.%s: must be within [0, 1], got %v", r.name, r.v))
		}
	}
	if f.LatencySpike < 0 {
		errs = append(errs, "faults.latency_spike: must be >= 0")
	}
	if f.Metrics != "" && f.Metrics != MetricsError && f.Metrics != MetricsGarbage {
		errs = append(errs, fmt.Sprintf("faults.metrics: must be %s or %s, got %q", MetricsError, MetricsGarbage, f.Metrics))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Faults returns the faults in force.
func (e *Engine) Faults() Faults { return e.faults }

// SetFaults changes the faults in force (workers already starting keep
// their fate).
func (e *Engine) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	e.faults = f
	return nil
}

// CrashDecode kills a ready or draining decode worker as a crashed process
// would: every request holding KV there or routed there ends at once with
// FinishError, and the worker and its GPU are gone. It returns how many
// requests failed.
func (e *Engine) CrashDecode(name string) (int, error) {
	var w *decodeWorker
	for _, d := range e.decode {
		if d.name() == name {
			w = d
		}
	}
	if w == nil {
		return 0, fmt.Errorf("%w: no decode worker %q", ErrBadRequest, name)
	}
	failed := 0
	fail := func(s *sequence) {
		if s.aborted || s.state == seqFinished {
			return
		}
		s.aborted = true
		failed++
		e.counters.Failed++
		s.notifyDone(e.now, FinishError)
	}
	for _, s := range w.waiting.drain() {
		fail(s)
	}
	for _, list := range [][]*sequence{w.joining, w.localPrefill, w.running} {
		for _, s := range list {
			fail(s)
			w.kv.release(&s.lease)
		}
	}
	w.joining, w.localPrefill, w.running = nil, nil, nil
	for _, s := range e.prefillQueue {
		if s.worker == w {
			fail(s)
		}
	}
	for _, pw := range e.prefill {
		for _, s := range pw.batch {
			if s.worker == w {
				fail(s)
			}
		}
	}
	for s := range e.transferring {
		if s.worker == w {
			fail(s)
		}
	}
	w.admitted = 0
	e.stopDecode(w)
	return failed, nil
}
