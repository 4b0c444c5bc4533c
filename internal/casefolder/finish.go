package casefolder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Run is what finishing a case needs beyond its folder's raw records.
type Run struct {
	// Info names the case in AIPerf's exports; Info.Spec, when set,
	// becomes case.json (nil writes none: a bare `plannerbench load`).
	Info aiperf.Info
	// T0 is the wall time of trace time zero (zero: not known).
	T0 time.Time
	// TimeScale is how many times faster than the trace the load ran.
	TimeScale float64
	// SLO is the goodput targets.
	SLO results.SLO
	// Pull is the metric pulling interval in trace time, the weight of a
	// sample in GPU-seconds.
	Pull time.Duration
}

// Finish finishes a case whose stages wrote raw records into dir: the
// request and GPU parts compacted into one file a table, the summary and
// timeline built from the records, samples and decisions, then the derived
// files in their one order (see writeDerived). Safe to repeat: a retried
// Finish after a crash at any point writes the same files.
func Finish(ctx context.Context, dir string, run Run) (results.Summary, int, error) {
	if err := compact(ctx, dir); err != nil {
		return results.Summary{}, 0, fmt.Errorf("finish %s: %w", dir, err)
	}
	recs, err := ReadRequests(ctx, dir)
	if err != nil {
		return results.Summary{}, 0, fmt.Errorf("finish %s: %w", dir, err)
	}
	app, err := ReadAppended(dir)
	if err != nil {
		return results.Summary{}, 0, fmt.Errorf("finish %s: %w", dir, err)
	}
	sum, timeline := results.BuildCase(recs, app.Samples, app.Decisions, run.T0, run.TimeScale, run.SLO, run.Pull)
	sum.SkippedLines = app.Skipped
	if gpus, err := results.ReadGPU(ctx, GPUPath(dir)); err == nil {
		sum.Energy = results.EnergyOf(gpus, recs)
	}
	if err := writeDerived(dir, Finished{Info: run.Info, T0: run.T0, Records: recs, Summary: sum, Timeline: timeline}); err != nil {
		return results.Summary{}, 0, err
	}
	return sum, len(recs), nil
}

// Finished is a case whose records are all in memory (a virtual-time
// replay): nothing was written while it ran.
type Finished struct {
	// Info names the case; Info.Spec, when set, becomes case.json.
	Info aiperf.Info
	// T0 is the wall time of trace time zero, TensorBoard's clock.
	T0 time.Time
	// Records and GPU become requests.parquet and gpu.parquet (none
	// written when empty).
	Records []schemas.RequestRecord
	GPU     []schemas.GPUSample
	// Summary becomes summary.json.
	Summary results.Summary
	// Timeline becomes timeline.parquet and tensorboard/ (neither written
	// when empty).
	Timeline []schemas.TimelineRow
}

// Write writes a case held in memory: each table once, as one file (no
// parts to compact), then the derived files in their one order.
func Write(dir string, f Finished) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write case %s: %w", dir, err)
	}
	if err := results.WriteRequests(RequestsPath(dir), f.Records); err != nil {
		return fmt.Errorf("write case %s: %w", dir, err)
	}
	if len(f.GPU) > 0 {
		if err := results.WriteGPU(GPUPath(dir), f.GPU); err != nil {
			return fmt.Errorf("write case %s: %w", dir, err)
		}
	}
	return writeDerived(dir, f)
}

// Upgrade brings a reused case folder written by an earlier version up to
// today's layout: its parts compacted into one file a table, and AIPerf's
// export files written when missing. Nothing recorded changes.
func Upgrade(ctx context.Context, dir string, info aiperf.Info) error {
	if err := compact(ctx, dir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, aiperf.SummaryJSONFile)); err == nil {
		return nil
	}
	recs, err := ReadRequests(ctx, dir)
	if err != nil {
		return err
	}
	sum, err := ReadSummary(dir)
	if err != nil {
		return err
	}
	return aiperf.WriteCase(dir, info, sum, recs)
}

// compact merges the request and GPU parts into one file a table.
func compact(ctx context.Context, dir string) error {
	if err := results.CompactRequests(ctx, RequestsPath(dir)); err != nil {
		return err
	}
	return results.CompactGPU(ctx, GPUPath(dir))
}

// writeDerived writes the files derived from a case's records: AIPerf's
// exports, timeline.parquet and tensorboard/ (when there is a timeline),
// case.json (when there is a spec), then summary.json, last: its presence
// marks the case complete.
func writeDerived(dir string, f Finished) error {
	if err := aiperf.WriteCase(dir, f.Info, f.Summary, f.Records); err != nil {
		return fmt.Errorf("finish %s: %w", dir, err)
	}
	if len(f.Timeline) > 0 {
		if err := results.WriteTimeline(TimelinePath(dir), f.Timeline); err != nil {
			return err
		}
		if _, err := results.WriteTensorBoard(filepath.Join(dir, TensorBoardDir), f.T0, f.Timeline); err != nil {
			return fmt.Errorf("tensorboard of %s: %w", dir, err)
		}
	}
	if f.Info.Spec != nil {
		if err := atomicfile.WriteJSON(filepath.Join(dir, SpecFile), f.Info.Spec); err != nil {
			return err
		}
	}
	if !f.T0.IsZero() {
		f.Summary.T0 = f.T0
	}
	return WriteSummary(dir, f.Summary)
}

// WriteSummary writes dir/summary.json atomically.
func WriteSummary(dir string, s results.Summary) error {
	return atomicfile.WriteJSON(filepath.Join(dir, SummaryFile), s)
}
