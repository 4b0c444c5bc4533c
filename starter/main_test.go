package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/cliutil"
	"plannerbench/internal/tracestats"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTraceSynthSeedFlagsAndStats(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := runCLI(t, "trace", "synth", "--time-duration", "600", "--request-rate-min", "5", "--request-rate-max", "20",
		"--request-rate-period", "150", "--isl1", "3000", "--osl1", "150", "--isl2", "3000", "--osl2", "150")
	require.Equal(t, 0, code, errOut)
	name := "sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl"
	require.Contains(t, out, "to "+name)
	require.FileExists(t, filepath.Join(dir, name))

	code, out, errOut = runCLI(t, "trace", "stats", name, "--output", "json")
	require.Equal(t, 0, code, errOut)
	var s tracestats.Stats
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.InDelta(t, 7500, s.Requests, 5*87, "≈ 7,500 requests (the reference drew 7,429)")
	require.InDelta(t, 12.5, s.MeanRate, 0.6)
	require.InDelta(t, 5, s.MinBucketRate, 1.5, "troughs of the 5→20 sinusoid")
	require.InDelta(t, 20, s.MaxBucketRate, 3, "peaks of the 5→20 sinusoid")
	require.Len(t, s.BucketRates, 60)
	require.Equal(t, 3000, s.Classes[0].InputLength)

	code, out, _ = runCLI(t, "trace", "stats", name)
	require.Equal(t, 0, code)
	require.Contains(t, out, "rate by bucket")
}

func TestTraceSynthRejectsBadFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := runCLI(t, "trace", "synth", "--time-duration", "0", "--block-size", "-3")
	require.Equal(t, cliutil.ExitBadInput, code)
	require.Contains(t, errOut, "--time-duration: must be > 0")
	require.Contains(t, errOut, "--block-size: must be > 0")
	code, _, errOut = runCLI(t, "trace", "synth", "--no-such-flag")
	require.Equal(t, cliutil.ExitBadInput, code, errOut)
}

func TestTraceStatsBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n{\"timestamp\": 1}\n"), 0o644))
	code, _, errOut := runCLI(t, "trace", "stats", path)
	require.Equal(t, cliutil.ExitBadInput, code)
	require.Contains(t, errOut, path+":2: input_length: missing")
}

func TestValidate(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", "../examples/seed.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "planner  1p1d")
	require.Contains(t, out, "sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl")

	code, out, _ = runCLI(t, "validate", "../examples/seed.yaml", "-o", "json")
	require.Equal(t, 0, code)
	var v struct {
		Cases []struct{ ID string } `json:"cases"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Len(t, v.Cases, 2)

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\ntime_scale: -1\ntrace: {synth: {isl1: 0}}\ncases: [{name: a, deployment: 1p1d, planner: {adjustment_interval: 0s}}]\n"), 0o644))
	code, _, errOut = runCLI(t, "validate", bad)
	require.Equal(t, cliutil.ExitBadInput, code)
	for _, want := range []string{
		bad + ":2: time_scale: must be > 0",
		bad + ":3: trace.synth.isl1: must be > 0",
		bad + ":4: cases[0].planner.adjustment_interval: must be > 0",
		"3 problem(s)",
	} {
		require.Contains(t, errOut, want)
	}
	require.Equal(t, 4, strings.Count(errOut, "\n"), errOut)
}

func TestReplayCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, errOut := runCLI(t, "trace", "synth", "--time-duration", "120", "--request-rate-min", "5", "--request-rate-max", "20",
		"--request-rate-period", "150", "--isl1", "3000", "--osl1", "150", "--isl2", "3000", "--osl2", "150", "--output-file", "t.jsonl")
	require.Equal(t, 0, code, errOut)
	code, out, errOut := runCLI(t, "replay", "--trace", "t.jsonl", "--deployment", "2,2", "--planner", "noop", "--profile", "h100-llama8b-2026", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var s struct {
		AvgRequestLatencyMS float64 `json:"avg_request_latency_ms"`
		AvgNumGPU           float64 `json:"avg_num_gpu"`
		Completed           int     `json:"completed"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, 4.0, s.AvgNumGPU)
	require.Greater(t, s.AvgRequestLatencyMS, 1000.0)
	require.Greater(t, s.Completed, 1000)

	code, out, errOut = runCLI(t, "replay", "--trace", "t.jsonl", "--out", "case")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "num_gpu (time-averaged, ready workers)")
	require.FileExists(t, filepath.Join(dir, "case", "timeline.parquet"))
	require.FileExists(t, filepath.Join(dir, "case", "summary.json"))

	// Following a live case whose decisions hold a line that does not
	// parse (a torn append, continued): the others are followed, the line
	// named on stderr.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "case", "decisions.jsonl"),
		[]byte(`{"interval":1,"mode":"load"}`+"\n"+`{"interval":2,"mo{"interval":2,"mode":"load"}`+"\n"), 0o644))
	code, out, errOut = runCLI(t, "replay", "--trace", "t.jsonl", "--follow", "case")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "decisions followed from the live case case (1 recorded)")
	require.Contains(t, errOut, "--follow case: left out a line that does not parse: case/decisions.jsonl:2: ")

	for _, args := range [][]string{
		{"replay", "--trace", "t.jsonl", "--deployment", "0p1d"},
		{"replay", "--trace", "t.jsonl", "--planner", "magic"},
		{"replay", "--trace", "missing.jsonl"},
		{"replay"},
	} {
		code, _, errOut = runCLI(t, args...)
		require.Equal(t, cliutil.ExitBadInput, code, "%v: %s", args, errOut)
	}
}
