package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/precise"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// CollectMetrics observes the deployment through its backend every pull interval
// (trace time) from the case's start, appending each sample to
// samples.jsonl, and heartbeats. It runs until the workflow cancels it;
// a retry after a crash appends after what was written.
func (a *Activities) CollectMetrics(ctx context.Context, in payload.CollectInput) (int, error) {
	dir := a.caseDir(in.Case)
	f, err := os.OpenFile(filepath.Join(dir, casefolder.SamplesFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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
	tick := lastSampleTick(filepath.Join(dir, casefolder.SamplesFile), in.PullInterval) + 1
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
		began := time.Now()
		s, err := a.scrape(ctx, in.Deployment)
		if err == nil {
			s.At = time.Duration(tick) * in.PullInterval
			s.LateMS = schemas.LateMS(midpoint(began), at, scale) // the snapshot was taken about halfway through the request
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

// scrape takes one sample through the deployment's backend.
func (a *Activities) scrape(ctx context.Context, ref schemas.DeploymentRef) (schemas.Sample, error) {
	d, err := a.deployer(ref.Backend)
	if err != nil {
		return schemas.Sample{}, err
	}
	return d.Observe(ctx, ref)
}

// lastSampleTick returns the tick of the last sample in path, or 0.
func lastSampleTick(path string, interval time.Duration) int64 {
	samples, _ := results.ReadSamples(path)
	if len(samples) == 0 || interval <= 0 {
		return 0
	}
	return int64(samples[len(samples)-1].At / interval)
}

// Observe returns the samples of [From, To] for a planner tick, and
// records the previous tick's decision in decisions.jsonl (once, by
// interval number).
func (a *Activities) Observe(ctx context.Context, in payload.ObserveInput) ([]schemas.Sample, error) {
	dir := a.caseDir(in.Case)
	if in.Decision != nil {
		if err := appendDecision(filepath.Join(dir, casefolder.DecisionsFile), *in.Decision); err != nil {
			return nil, err
		}
	}
	all, err := casefolder.ReadSamples(dir)
	if bad, ok := results.SkippedLines(err); !ok {
		return nil, err
	} else if len(bad) > 0 {
		activity.GetLogger(ctx).Warn("samples that do not parse left out of the window", "lines", bad)
	}
	var out []schemas.Sample
	for _, s := range all {
		// [From, To]: the window starts with the sample taken at the
		// previous adjustment, as the reference collects one at once after
		// each reset (about 11 samples over 10 s).
		if s.At >= in.From && s.At <= in.To {
			out = append(out, s)
		}
	}
	return out, nil
}

func appendDecision(path string, d schemas.Decision) error {
	existing, _ := results.ReadDecisions(path)
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
