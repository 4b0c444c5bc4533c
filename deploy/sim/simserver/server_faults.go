package simserver

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"plannerbench/deploy/sim"
)

// faultDice draws the injected faults' coin flips.
type faultDice struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func (d *faultDice) hit(rate float64) bool {
	if rate <= 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < rate
}

// faults returns the faults in force.
func (s *Server) faults() sim.Faults {
	var f sim.Faults
	s.rt.Do(func(e *sim.Engine) { f = e.Faults() })
	return f
}

// handleFaults reads (GET) or replaces (POST, a sim.Faults object) the
// injected faults.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var f sim.Faults
		if !decodeBody(w, r, &f) {
			return
		}
		var err error
		s.rt.Do(func(e *sim.Engine) { err = e.SetFaults(f) })
		if err != nil {
			refused(w, "", err)
			return
		}
		s.opts.Logger.Info("faults set", "faults", f)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.faults())
}

// CrashRequest names the decode worker POST /admin/crash kills.
type CrashRequest struct {
	Worker string `json:"worker"`
}

func (s *Server) handleCrash(w http.ResponseWriter, r *http.Request) {
	var req CrashRequest
	if !decodeBody(w, r, &req) {
		return
	}
	var n int
	var err error
	s.rt.Do(func(e *sim.Engine) { n, err = e.CrashDecode(req.Worker) })
	if err != nil {
		refused(w, "worker", err)
		return
	}
	s.opts.Logger.Warn("decode worker crashed (injected)", "worker", req.Worker, "failed_requests", n)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"worker": req.Worker, "failed_requests": n})
}

// metricsWithFaults serves /metrics, or breaks it as the faults say.
func (s *Server) metricsWithFaults(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch s.faults().Metrics {
		case sim.MetricsError:
			http.Error(w, "injected fault: metrics unavailable", http.StatusInternalServerError)
		case sim.MetricsGarbage:
			_, _ = w.Write([]byte("gpu_cache_usage_perc{worker=\"decode-0\" 0.5 }}} not prometheus\n\x00\xff"))
		default:
			next.ServeHTTP(w, r)
		}
	}
}

// spikeDelay is the wall-clock hold before a spiked request's first token.
func (s *Server) spikeDelay(f sim.Faults) time.Duration {
	if !s.dice.hit(f.LatencySpikeRate) {
		return 0
	}
	return time.Duration(float64(f.LatencySpike.D()) / s.rt.TimeScale())
}
