package aiperf

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"plannerbench/internal/results"
)

// ErrNoExport says a folder holds no profile_export_aiperf.json.
var ErrNoExport = errors.New("no " + SummaryJSONFile)

// Run is an AIPerf run read back from its exports: its summary in
// plannerbench's terms and the model it named.
type Run struct {
	Summary results.Summary
	Model   string
	// Plannerbench is set when plannerbench wrote the files.
	Plannerbench *Facts
}

// msPer converts AIPerf's time units to milliseconds.
var msPer = map[string]float64{"ns": 1e-6, "us": 1e-3, "ms": 1, "sec": 1000, "s": 1000}

// ReadRun reads dir/profile_export_aiperf.json (AIPerf's or plannerbench's)
// into a summary: latency distributions in ms, token lengths, throughputs,
// counts and duration. Fields it cannot use are ignored; a metric in a unit
// it does not know is an error naming it.
func ReadRun(dir string) (Run, error) {
	path := filepath.Join(dir, SummaryJSONFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Run{}, fmt.Errorf("%s: %w", dir, ErrNoExport)
	}
	if err != nil {
		return Run{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Run{}, fmt.Errorf("%s: %w", path, err)
	}
	metric := func(tag string) (*MetricResult, error) {
		b, ok := raw[tag]
		if !ok || string(b) == "null" {
			return nil, nil
		}
		var m MetricResult
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, tag, err)
		}
		return &m, nil
	}
	var run Run
	s := &run.Summary
	s.TimeScale = 1
	var errs []error
	dist := func(tag string, scale func(unit string) (float64, error)) results.Distribution {
		m, err := metric(tag)
		if err != nil || m == nil {
			errs = append(errs, err)
			return results.Distribution{}
		}
		k, err := scale(m.Unit)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", path, tag, err))
			return results.Distribution{}
		}
		v := func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p * k
		}
		return results.Distribution{Avg: v(m.Avg), Min: v(m.Min), Max: v(m.Max), Std: v(m.Std), P1: v(m.P1), P5: v(m.P5),
			P10: v(m.P10), P25: v(m.P25), P50: v(m.P50), P75: v(m.P75), P90: v(m.P90), P95: v(m.P95), P99: v(m.P99)}
	}
	timeUnit := func(u string) (float64, error) {
		if k, ok := msPer[u]; ok {
			return k, nil
		}
		return 0, fmt.Errorf("unit %q is not a time unit", u)
	}
	plain := func(string) (float64, error) { return 1, nil }
	scalar := func(tag string) float64 {
		m, err := metric(tag)
		if err != nil || m == nil || m.Avg == nil {
			errs = append(errs, err)
			return 0
		}
		return *m.Avg
	}
	s.RequestLatencyMS = dist("request_latency", timeUnit)
	s.TTFTMS = dist("time_to_first_token", timeUnit)
	s.ITLMS = dist("inter_token_latency", timeUnit)
	s.OutputTokens = dist("output_sequence_length", plain)
	s.InputTokens = dist("input_sequence_length", plain)
	s.AvgRequestLatencyMS = s.RequestLatencyMS.Avg
	s.Completed = int(scalar("request_count"))
	s.Errors = int(scalar("error_request_count"))
	s.Requests = s.Completed + s.Errors
	s.RequestThroughput = scalar("request_throughput")
	s.OutputTokenThroughput = scalar("output_token_throughput")
	s.Goodput = scalar("goodput")
	s.GoodRequests = int(scalar("good_request_count"))
	if m, err := metric("benchmark_duration"); err == nil && m != nil && m.Avg != nil {
		if k, err := timeUnit(m.Unit); err == nil {
			s.DurationS = *m.Avg * k / 1000
		}
	}
	for _, d := range []*results.Distribution{&s.RequestLatencyMS, &s.TTFTMS, &s.ITLMS, &s.OutputTokens, &s.InputTokens} {
		if d.Avg != 0 || d.Max != 0 {
			d.Count = s.Completed
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Run{}, err
	}
	if b, ok := raw["input_config"]; ok {
		var ic struct {
			ModelNames []string `json:"model_names"`
			Endpoint   struct {
				ModelNames []string `json:"model_names"`
			} `json:"endpoint"`
		}
		if json.Unmarshal(b, &ic) == nil {
			if len(ic.ModelNames) == 0 {
				ic.ModelNames = ic.Endpoint.ModelNames
			}
			if len(ic.ModelNames) > 0 {
				run.Model = ic.ModelNames[0]
			}
		}
	}
	if b, ok := raw["plannerbench"]; ok {
		var f Facts
		if json.Unmarshal(b, &f) == nil {
			run.Plannerbench = &f
		}
	}
	return run, nil
}
