// Package sweep maps where a planner wins: it replays a trace in virtual
// time over a grid of load scales and a second axis (profiles, or the
// fixed baseline's deployment), the planner case against the baseline at
// every point, and returns the seed's two figures (speedup, GPU saving) a
// cell. Replays run in parallel, one engine a goroutine.
package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"plannerbench/deploy/sim"
	"plannerbench/internal/results"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// Y axes.
const (
	AxisProfile  = "profile"
	AxisBaseline = "baseline"
)

// Options describe a sweep.
type Options struct {
	TracePath string
	Scales    []float64
	// YAxis is AxisProfile (YValues name profiles) or AxisBaseline
	// (YValues are the fixed case's deployments, e.g. 2p2d).
	YAxis   string
	YValues []string
	// Profile is used when YAxis is not AxisProfile; Baseline when it is
	// not AxisBaseline.
	Profile  string
	Baseline schemas.Deployment
	// Start and Planner are the planner case's starting deployment and
	// settings; the baseline runs the same settings in noop mode.
	Start   schemas.Deployment
	Planner schemas.PlannerConfig
	// Graph names the shipped graph ("" is the seed's).
	Graph string
	SLO   results.SLO
	// Parallel bounds the replays run at once (default GOMAXPROCS).
	Parallel int
	// TempDir receives the scaled traces (default a new temporary folder).
	TempDir string
}

// job is one replay of the grid.
type job struct {
	trace   string
	profile string
	dep     schemas.Deployment
	planner schemas.PlannerConfig
	out     *results.Summary
}

// Run replays the grid.
func Run(ctx context.Context, o Options) (*schemas.Sweep, error) {
	start := time.Now()
	if len(o.Scales) == 0 || len(o.YValues) == 0 {
		return nil, fmt.Errorf("sweep: need at least one scale and one %s", o.YAxis)
	}
	if o.YAxis != AxisProfile && o.YAxis != AxisBaseline {
		return nil, fmt.Errorf("sweep: y axis %q: want %s or %s", o.YAxis, AxisProfile, AxisBaseline)
	}
	tmp := o.TempDir
	if tmp == "" {
		d, err := os.MkdirTemp("", "plannerbench-sweep-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		tmp = d
	}
	traces := make([]string, len(o.Scales))
	for i, s := range o.Scales {
		p, err := scaledTrace(o.TracePath, s, filepath.Join(tmp, fmt.Sprintf("scale%d.jsonl", i)))
		if err != nil {
			return nil, err
		}
		traces[i] = p
	}
	noop := o.Planner
	noop.Mode = schemas.PlannerNoop
	res := &schemas.Sweep{Trace: o.TracePath, Scales: o.Scales, YAxis: o.YAxis, YValues: o.YValues, Planner: o.Planner.Mode,
		Start: o.Start.String(), MarkX: -1, MarkY: -1}
	if o.YAxis == AxisProfile {
		res.Baseline = o.Baseline.String()
	} else {
		res.Profile = o.Profile
	}
	plannerRuns := map[string]*results.Summary{} // the planner case does not depend on the baseline
	var jobs []*job
	cellJobs := make([][][2]*job, len(o.YValues))
	for y, yv := range o.YValues {
		profile, baseline := o.Profile, o.Baseline
		if o.YAxis == AxisProfile {
			profile = yv
		} else {
			d, err := schemas.ParseDeployment(yv)
			if err != nil {
				return nil, fmt.Errorf("sweep: baseline %q: %w", yv, err)
			}
			baseline = d
		}
		cellJobs[y] = make([][2]*job, len(o.Scales))
		for x := range o.Scales {
			key := fmt.Sprintf("%s|%d", profile, x)
			pl, ok := plannerRuns[key]
			var pj *job
			if !ok {
				pl = &results.Summary{}
				plannerRuns[key] = pl
				pj = &job{trace: traces[x], profile: profile, dep: o.Start, planner: o.Planner, out: pl}
				jobs = append(jobs, pj)
			} else {
				pj = &job{out: pl}
			}
			bj := &job{trace: traces[x], profile: profile, dep: baseline, planner: noop, out: &results.Summary{}}
			jobs = append(jobs, bj)
			cellJobs[y][x] = [2]*job{pj, bj}
		}
	}
	if err := runAll(ctx, jobs, o); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if j.trace != "" {
			res.Replays++
		}
	}
	res.Cells = make([][]schemas.SweepCell, len(o.YValues))
	for y, yv := range o.YValues {
		for x, s := range o.Scales {
			p, b := cellJobs[y][x][0].out, cellJobs[y][x][1].out
			c := schemas.SweepCell{Scale: s, Y: yv, PlannerLatencyMS: p.AvgRequestLatencyMS, BaselineLatencyMS: b.AvgRequestLatencyMS,
				PlannerNumGPU: p.AvgNumGPU, BaselineNumGPU: b.AvgNumGPU}
			if p.AvgRequestLatencyMS > 0 {
				c.Speedup = b.AvgRequestLatencyMS / p.AvgRequestLatencyMS
			}
			if b.AvgNumGPU > 0 {
				c.GPUSaving = 1 - p.AvgNumGPU/b.AvgNumGPU
			}
			res.Cells[y] = append(res.Cells[y], c)
			if s == 1 && (yv == schemas.DefaultProfile || yv == "2p2d") {
				res.MarkX, res.MarkY = x, y
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// runAll runs the jobs that replay (those with a trace) on Parallel
// goroutines.
func runAll(ctx context.Context, jobs []*job, o Options) error {
	n := o.Parallel
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	ch := make(chan *job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				errs <- replayOne(ctx, j, o)
			}
		}()
	}
	for _, j := range jobs {
		if j.trace != "" {
			ch <- j
		}
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func replayOne(ctx context.Context, j *job, o Options) error {
	prof, err := sim.LoadProfile(j.profile)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	graph, err := sim.ForGraph(o.Graph, j.dep)
	if err != nil {
		return err
	}
	res, err := replay.Run(ctx, replay.Options{TracePath: j.trace, Profile: prof, Graph: graph, Planner: j.planner, SLO: o.SLO})
	if err != nil {
		return fmt.Errorf("sweep: replay %s at %s with %s: %w", j.dep, filepath.Base(j.trace), j.profile, err)
	}
	*j.out = res.Summary
	return nil
}

// scaledTrace writes a copy of the trace whose request rate is scale times
// the original's: every arrival time divided by scale.
func scaledTrace(path string, scale float64, out string) (string, error) {
	if scale <= 0 {
		return "", fmt.Errorf("sweep: scale %v must be > 0", scale)
	}
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	defer f.Close()
	w := schemas.NewTraceWriter(f)
	err = schemas.ForEachTraceRecord(path, func(_ int64, r *schemas.TraceRecord) error {
		r.Timestamp = int64(float64(r.Timestamp) / scale)
		return w.Write(r)
	})
	if err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return out, f.Close()
}
