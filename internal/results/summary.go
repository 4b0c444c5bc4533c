package results

import (
	"math"
	"sort"
	"time"

	"plannerbench/schemas"
)

// SLO holds goodput targets; zero disables one.
type SLO struct {
	TTFTMS float64 `json:"ttft_ms"`
	ITLMS  float64 `json:"itl_ms"`
}

// SLOFrom converts the matrix's SLO.
func SLOFrom(s schemas.SLO) SLO {
	return SLO{TTFTMS: float64(s.TTFT) / float64(time.Millisecond), ITLMS: float64(s.ITL) / float64(time.Millisecond)}
}

// Summary is summary.json: a case's request outcomes and AIPerf-style
// metrics (README, Result files; docs/metrics.md). Durations and rates are in trace time.
type Summary struct {
	Requests      int            `json:"requests"`
	Completed     int            `json:"completed"`
	Errors        int            `json:"errors"`
	Skipped       int            `json:"skipped"`
	Interrupted   int            `json:"interrupted"`
	ErrorsByClass map[string]int `json:"errors_by_class,omitempty"`
	TimeScale     float64        `json:"time_scale"`
	// DurationS runs from the first send to the last end, in trace seconds.
	DurationS float64 `json:"duration_s"`

	TTFTMS           Distribution `json:"ttft_ms"`
	ITLMS            Distribution `json:"itl_ms"`
	RequestLatencyMS Distribution `json:"request_latency_ms"`
	OutputTokens     Distribution `json:"output_tokens"`
	InputTokens      Distribution `json:"input_tokens"`
	// AvgRequestLatencyMS repeats RequestLatencyMS.Avg: the seed's headline.
	AvgRequestLatencyMS float64 `json:"avg_request_latency_ms"`

	OutputTokenThroughput float64 `json:"output_token_throughput"` // tokens/s
	RequestThroughput     float64 `json:"request_throughput"`      // completed requests/s
	SLO                   SLO     `json:"slo"`
	GoodRequests          int     `json:"good_requests"`
	Goodput               float64 `json:"goodput"` // requests/s meeting every SLO

	// LatenessMS is the load driver's dispatch lateness, in wall ms.
	LatenessMS Distribution `json:"lateness_ms"`

	// Deployment facts, filled in by whoever knows them (replay, workflow).
	// AvgNumGPU is the time-averaged num_gpu as the seed measured it (ready
	// workers); AvgGPUsHeld also counts workers starting or draining.
	AvgNumGPU   float64 `json:"avg_num_gpu,omitempty"`
	AvgGPUsHeld float64 `json:"avg_gpus_held,omitempty"`
	// GPUSeconds integrates the GPUs held over the run.
	GPUSeconds float64 `json:"gpu_seconds,omitempty"`
	// ReadyGPUSeconds integrates num_gpu (ready endpoints' GPUs) over the
	// run: the GPU·s of the seed's bar chart, whose num_gpu counted the
	// endpoints its planner saw (planner.py collect_metrics @7d5d6f8c).
	ReadyGPUSeconds float64 `json:"ready_gpu_seconds,omitempty"`
	// Energy is the GPUs' energy from the case's telemetry (gpu/), when
	// there is any.
	Energy *Energy `json:"energy,omitempty"`
	// T0 is the wall time of trace time zero (1970-01-01 for a replay):
	// with TimeScale it puts wall-clock telemetry on the trace's axis.
	T0 time.Time `json:"t0,omitzero"`
	// SkippedLines are the lines of the case's samples.jsonl and
	// decisions.jsonl that did not parse (each "path:line: cause"), left
	// out of the figures above.
	SkippedLines []string `json:"skipped_lines,omitempty"`
}

// outputTokens is a completed request's output length: the server's count
// when it sent usage, else the content chunks seen.
func outputTokens(r *schemas.RequestRecord) int {
	if r.CompletionTokens >= 0 {
		return int(r.CompletionTokens)
	}
	return int(r.Chunks)
}

// Summarize computes the summary of records taken at timeScale.
func Summarize(recs []schemas.RequestRecord, timeScale float64, slo SLO) Summary {
	if timeScale <= 0 {
		timeScale = 1
	}
	s := Summary{Requests: len(recs), TimeScale: timeScale, SLO: slo}
	var ttft, itl, lat, outTok, inTok, late []float64
	var first, last time.Time
	var totalOut float64
	for i := range recs {
		r := &recs[i]
		if !math.IsNaN(r.LatenessMS) {
			late = append(late, r.LatenessMS)
		}
		if !r.SentAt.IsZero() && (first.IsZero() || r.SentAt.Before(first)) {
			first = r.SentAt
		}
		switch r.Status {
		case schemas.StatusOK:
		case schemas.StatusSkipped:
			s.Skipped++
			continue
		case schemas.StatusInterrupted:
			s.Interrupted++
			continue
		default:
			s.Errors++
			if s.ErrorsByClass == nil {
				s.ErrorsByClass = map[string]int{}
			}
			s.ErrorsByClass[r.ErrorClass]++
			continue
		}
		s.Completed++
		if r.EndAt.After(last) {
			last = r.EndAt
		}
		n := outputTokens(r)
		totalOut += float64(n)
		ttft = append(ttft, r.TTFTMS)
		itl = append(itl, r.ITLMS)
		lat = append(lat, r.LatencyMS)
		outTok = append(outTok, float64(n))
		inTok = append(inTok, float64(max(r.PromptTokens, r.InputLength)))
		if meetsSLO(r, slo) {
			s.GoodRequests++
		}
	}
	s.TTFTMS, s.ITLMS, s.RequestLatencyMS = Describe(ttft), Describe(itl), Describe(lat)
	s.OutputTokens, s.InputTokens, s.LatenessMS = Describe(outTok), Describe(inTok), Describe(late)
	s.AvgRequestLatencyMS = s.RequestLatencyMS.Avg
	if !first.IsZero() && last.After(first) {
		s.DurationS = last.Sub(first).Seconds() * timeScale
		s.OutputTokenThroughput = totalOut / s.DurationS
		s.RequestThroughput = float64(s.Completed) / s.DurationS
		s.Goodput = float64(s.GoodRequests) / s.DurationS
	}
	return s
}

// meetsSLO reports a completed request that meets every target. As AIPerf
// counts good requests, a request without a value for a targeted metric
// (no ITL: a one-token answer) is not good (ai-dynamo/aiperf,
// aiperf/metrics/types/good_request_count_metric.py, _is_good:
// NoMetricValue -> False; commit 44df0a3ee13ae2c2181e93c84fcc27002ef0fde2).
func meetsSLO(r *schemas.RequestRecord, slo SLO) bool {
	if slo.TTFTMS > 0 && !(r.TTFTMS <= slo.TTFTMS) {
		return false
	}
	if slo.ITLMS > 0 && !(r.ITLMS <= slo.ITLMS) {
		return false
	}
	return true
}

// ErrorClasses lists the keys of m sorted, for stable printing.
func ErrorClasses(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
