package activities

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/internal/planner"
	"plannerbench/internal/precise"
)

func adminToken() string { return os.Getenv("PLANNERBENCH_ADMIN_TOKEN") }

// CollectMetrics scrapes the deployment's /metrics every pull interval
// (trace time) from the case's start, appending each sample to
// samples.jsonl, and heartbeats. It runs until the workflow cancels it;
// a retry after a crash appends after what was written.
func (a *Activities) CollectMetrics(ctx context.Context, in CollectInput) (int, error) {
	dir := a.caseDir(in.Case)
	f, err := os.OpenFile(filepath.Join(dir, SamplesFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	scale := in.Deployment.TimeScale
	if scale <= 0 {
		scale = 1
	}
	every := time.Duration(float64(in.PullInterval) / scale)
	if every <= 0 {
		every = time.Second
	}
	// Continue the grid from where an earlier attempt stopped.
	tick := lastSampleTick(filepath.Join(dir, SamplesFile), in.PullInterval) + 1
	if now := time.Since(in.T0); now > 0 {
		tick = max(tick, int64(now/every)+1)
	}
	sleeper := precise.NewSleeper()
	samples := 0
	for {
		at := in.T0.Add(time.Duration(tick) * every)
		if !sleeper.Until(ctx, at, nil) || ctx.Err() != nil {
			return samples, nil // cancelled: the case is over
		}
		s, err := a.scrape(ctx, in.Deployment)
		if err == nil {
			s.At = time.Duration(tick) * in.PullInterval
			line, _ := json.Marshal(s)
			if _, err := f.Write(append(line, '\n')); err != nil {
				return samples, fmt.Errorf("write sample: %w", err)
			}
			samples++
		} else {
			activity.GetLogger(ctx).Warn("scrape failed", "error", err)
		}
		activity.RecordHeartbeat(ctx, samples)
		tick++
		if late := time.Since(in.T0.Add(time.Duration(tick) * every)); late > every {
			tick += int64(late / every) // skip pulls that fell behind rather than bunching them
		}
	}
}

func (a *Activities) scrape(ctx context.Context, ref DeploymentRef) (planner.Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL+"/metrics", nil)
	if err != nil {
		return planner.Sample{}, err
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return planner.Sample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return planner.Sample{}, fmt.Errorf("GET %s/metrics: HTTP %d", ref.URL, resp.StatusCode)
	}
	return planner.ParseMetrics(resp.Body, ref.GPUsPerEngine)
}

// lastSampleTick returns the tick of the last sample in path, or 0.
func lastSampleTick(path string, interval time.Duration) int64 {
	samples, _ := readSamples(path)
	if len(samples) == 0 || interval <= 0 {
		return 0
	}
	return int64(samples[len(samples)-1].At / interval)
}

// readSamples reads samples.jsonl; a torn last line (a crash mid-write) is
// ignored.
func readSamples(path string) ([]planner.Sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []planner.Sample
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var s planner.Sample
		if json.Unmarshal(sc.Bytes(), &s) == nil {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// Observe returns the samples of (From, To] for a planner tick, and
// records the previous tick's decision in decisions.jsonl (once, by
// interval number).
func (a *Activities) Observe(ctx context.Context, in ObserveInput) ([]planner.Sample, error) {
	dir := a.caseDir(in.Case)
	if in.Decision != nil {
		if err := appendDecision(filepath.Join(dir, DecisionsFile), *in.Decision); err != nil {
			return nil, err
		}
	}
	all, err := readSamples(filepath.Join(dir, SamplesFile))
	if err != nil {
		return nil, err
	}
	var out []planner.Sample
	for _, s := range all {
		if s.At > in.From && s.At <= in.To {
			out = append(out, s)
		}
	}
	return out, nil
}

func appendDecision(path string, d planner.Decision) error {
	existing, _ := ReadDecisions(path)
	for _, e := range existing {
		if e.Interval == d.Interval {
			return nil
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	line, _ := json.Marshal(d)
	_, err = f.Write(append(line, '\n'))
	return err
}

// ReadDecisions reads decisions.jsonl.
func ReadDecisions(path string) ([]planner.Decision, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []planner.Decision
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var d planner.Decision
		if json.Unmarshal(sc.Bytes(), &d) == nil {
			out = append(out, d)
		}
	}
	return out, sc.Err()
}
