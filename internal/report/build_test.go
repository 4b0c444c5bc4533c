package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/report"
	"plannerbench/internal/synth"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// TestBuildFromReplayedCases replays two short cases, builds the report and
// checks its files: charts that decode as PNG, and an HTML page whose every
// image is embedded (no network fetch).
func TestBuildFromReplayedCases(t *testing.T) {
	dir := t.TempDir()
	p := schemas.DefaultSynthParams()
	p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 120, 5, 20, 60
	p.ISL1, p.OSL1, p.ISL2, p.OSL2 = 3000, 150, 3000, 150
	p.MarkGiven("request-rate-min")
	trace := filepath.Join(dir, "trace.jsonl")
	_, err := synth.WriteFile(context.Background(), p, trace, synth.Options{})
	require.NoError(t, err)
	prof, err := sim.LoadProfile("h100-llama8b-2026")
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		dep  schemas.Deployment
		mode string
	}{{"planner", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad}, {"2p2d", schemas.Deployment{Prefill: 2, Decode: 2}, schemas.PlannerNoop}} {
		pc := schemas.DefaultPlannerConfig()
		pc.Mode = c.mode
		caseDir := filepath.Join(dir, "m", c.name)
		_, err := replay.Run(context.Background(), replay.Options{TracePath: trace, Profile: prof, Graph: sim.ForDeployment(c.dep), Planner: pc, OutDir: caseDir})
		require.NoError(t, err)
		spec := schemas.Case{ID: c.name, Matrix: "m", Name: c.name, Model: schemas.DefaultModel, Backend: schemas.Backend{Kind: "sim", Profile: prof.Name},
			TimeScale: 1, Trace: schemas.TraceSpec{Synth: &p}, Deployment: c.dep, Planner: pc, Repeat: 1}
		require.NoError(t, atomicfile.WriteJSON(filepath.Join(caseDir, "case.json"), spec))
	}
	cmp, err := report.Build(context.Background(), filepath.Join(dir, "m"), "")
	require.NoError(t, err)
	require.Equal(t, "2p2d", cmp.Baseline)
	require.Len(t, cmp.Sentences, 1)
	for _, name := range []string{"avg_latency", "gpu_usage", "timeline", "ttft_cdf", "latency_cdf", "gpu_power", "gpu_utilization"} {
		data, err := os.ReadFile(filepath.Join(dir, "m", name+".png"))
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err, name)
		require.Greater(t, img.Bounds().Dx(), 300)
		require.FileExists(t, filepath.Join(dir, "m", name+".svg"))
	}
	html, err := os.ReadFile(filepath.Join(dir, "m", report.ReportFile))
	require.NoError(t, err)
	page := string(html)
	require.Contains(t, page, cmp.Sentences[0])
	require.Equal(t, 7, strings.Count(page, `src="data:image/png;base64,`), "five charts and the two GPU timelines (replays record modelled GPUs)")
	require.Len(t, cmp.EnergySentences, 1)
	require.Contains(t, page, cmp.EnergySentences[0])
	require.Contains(t, cmp.EnergySentences[0], "J per output token")
	require.Contains(t, cmp.EnergySentences[0], "modelled")
	require.NotRegexp(t, regexp.MustCompile(`(src|href)="https?:`), page, "self-contained: nothing fetched from the network")
	// One link a table a case: the compacted files, no parts.
	for _, c := range []string{"planner", "2p2d"} {
		for _, f := range []string{"requests.parquet", "gpu.parquet", "timeline.parquet", "summary.json", "profile_export.jsonl", "profile_export_aiperf.json", "profile_export_aiperf.csv"} {
			require.Contains(t, page, `href="`+c+`/`+f+`"`)
		}
	}
	require.NotContains(t, page, "part-0")
	require.Contains(t, page, "<h2>What happened</h2>")
	require.Regexp(t, `planner \(\d+ trace s\): .*the planner changed the deployment \d+ times`, page)
	require.FileExists(t, filepath.Join(dir, "m", report.ComparisonFile))
}

// A matrix folder holding a sweep.json shows the sweep's two heatmaps.
func TestReportShowsSweepHeatmaps(t *testing.T) {
	dir := t.TempDir()
	sw := schemas.Sweep{Scales: []float64{0.5, 1}, YAxis: "profile", YValues: []string{"a", "h100-llama8b"}, MarkX: 1, MarkY: 1,
		Cells: [][]schemas.SweepCell{
			{{Scale: 0.5, Y: "a", Speedup: 0.5, GPUSaving: 0.2}, {Scale: 1, Y: "a", Speedup: 2, GPUSaving: -0.1}},
			{{Scale: 0.5, Y: "h100-llama8b", Speedup: 1, GPUSaving: 0}, {Scale: 1, Y: "h100-llama8b", Speedup: 1.5, GPUSaving: 0.074}},
		}}
	require.NoError(t, atomicfile.WriteJSON(filepath.Join(dir, report.SweepFile), sw))
	loaded, err := report.LoadSweep(dir)
	require.NoError(t, err)
	charts, err := report.SweepHeatmaps(loaded)
	require.NoError(t, err)
	require.Len(t, charts, 2)
	for _, c := range charts {
		img, err := png.Decode(bytes.NewReader(c.PNG))
		require.NoError(t, err, c.Name)
		require.Greater(t, img.Bounds().Dx(), 200)
		require.Contains(t, string(c.SVG), "1.50x", "cells carry their values") // the speedup chart's seed cell
		break
	}
	none, err := report.LoadSweep(t.TempDir())
	require.NoError(t, err)
	require.Nil(t, none, "no sweep.json: no heatmaps")
}
