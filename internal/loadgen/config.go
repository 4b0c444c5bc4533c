package loadgen

import (
	"fmt"
	"time"
)

// Config describes one replay.
type Config struct {
	// URL is the endpoint's base, e.g. http://127.0.0.1:8000 (the /v1 path
	// is added when missing).
	URL   string
	Model string
	// APIKey is sent as a bearer token; never logged.
	APIKey string
	// TimeScale k sends a row at t0 + timestamp/k and reports durations
	// multiplied by k, in trace time.
	TimeScale float64
	// BlockSize is the trace's tokens per hash id.
	BlockSize int
	// SkipAfter: when resuming, rows overdue by more than this are recorded
	// as skipped.
	SkipAfter time.Duration
	// RequestTimeout bounds one request in wall time.
	RequestTimeout time.Duration
	// FlushInterval is how often finished records are written as a part.
	FlushInterval time.Duration
	// Lookahead is how many upcoming prompts are kept built ahead of the
	// dispatcher; the first Lookahead are built before t0.
	Lookahead int
	// MaxConnections sizes the idle connection pool; it must cover the peak
	// number of requests in flight.
	MaxConnections int
	// ProgressInterval is how often the progress callback runs.
	ProgressInterval time.Duration
	// T0, when set, is the schedule's start for a fresh run (a run with a
	// resume point uses the point's); rows are sent at T0 + timestamp/k.
	T0 time.Time
	// Attempt is stored in every record this run writes.
	Attempt int32
}

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	if c.BlockSize <= 0 {
		c.BlockSize = 512
	}
	if c.SkipAfter <= 0 {
		c.SkipAfter = time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Minute
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 2 * time.Second
	}
	if c.Lookahead <= 0 {
		c.Lookahead = 2048
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 8192
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = time.Second
	}
	if c.Attempt <= 0 {
		c.Attempt = 1
	}
	return c
}

func (c Config) validate() error {
	if c.URL == "" {
		return fmt.Errorf("loadgen: URL is required")
	}
	if c.Model == "" {
		return fmt.Errorf("loadgen: model is required")
	}
	return nil
}
