package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

func TestCalibrateCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "my-h100.yaml")
	code, stdout, stderr := runCLI(t, "calibrate", "../internal/calibrate/testdata/prefill_raw_data.npz", "../internal/calibrate/testdata/decode_raw_data.npz", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "prefill_ms vs prompt tokens")
	require.Contains(t, stdout, "R² 1.0000")
	prof, err := sim.LoadProfile(out)
	require.NoError(t, err, "the written profile loads as any profile does")
	require.Equal(t, "my-h100", prof.Name)
	require.InDeltaSlice(t, []float64{12, 0.05, 2e-6}, prof.PrefillMS, 1e-9)
	require.Equal(t, 400000, prof.KVCapacityTokens())
	png, err := os.ReadFile(filepath.Join(dir, "my-h100.png"))
	require.NoError(t, err)
	require.Equal(t, "\x89PNG", string(png[:4]))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(data), "# Source: ../internal/calibrate/testdata/prefill_raw_data.npz")

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"calibrate", "x.npz"}, "-o/--output-file is required"},
		{[]string{"calibrate", "x.npz", "-o", filepath.Join(dir, "p.json")}, "must be a .yaml file"},
		{[]string{"calibrate", filepath.Join(dir, "nothing"), "-o", filepath.Join(dir, "p.yaml")}, "not a run folder"},
		{[]string{"calibrate", "../internal/calibrate/testdata/prefill_raw_data.npz", "-o", filepath.Join(dir, "p.yaml")}, "need one of decode_active_kv_tokens"},
		{[]string{"calibrate", "../internal/calibrate/testdata/mocker_perf.npz", "--base", "nope", "-o", filepath.Join(dir, "p.yaml")}, `unknown profile "nope"`},
	} {
		code, _, stderr := runCLI(t, c.args...)
		require.Equal(t, 2, code, c.args)
		require.Contains(t, stderr, c.msg)
	}
	_, err = os.Stat(filepath.Join(dir, "p.yaml"))
	require.True(t, os.IsNotExist(err), "nothing written on bad input")
}

// noisyRun writes a case folder whose decode steps do not depend on the
// KV utilisation at all (uniform 5-60 ms): the data cannot determine a
// decode curve.
func noisyRun(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "noisy")
	w, err := results.NewRequestWriter(casefolder.RequestsPath(dir))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	t0 := time.Unix(1_700_000_000, 0).UTC()
	var rows []schemas.TimelineRow
	for s := 0; s <= 500; s++ {
		rows = append(rows, schemas.TimelineRow{TS: float64(s), KVUsage: 0.5 + 0.4*math.Sin(float64(s)/40)})
	}
	for i := range 400 {
		r := schemas.NewRequestRecord(int64(i), &schemas.TraceRecord{InputLength: 3000, OutputLength: 101})
		itl := 5 + 55*rng.Float64()
		r.ScheduledAt = t0.Add(time.Duration(i) * time.Second)
		first := r.ScheduledAt.Add(250 * time.Millisecond)
		r.SetTimings(r.ScheduledAt, first, first.Add(time.Duration(100*itl*float64(time.Millisecond))), 101, 1)
		r.PromptTokens, r.CompletionTokens, r.Chunks, r.Status = 3000, 101, 101, schemas.StatusOK
		r.PrefillWaitMS, r.PrefillMS, r.PrefillLocal, r.ITLDecodeMS = 0, 250, 0, itl
		w.Add(r)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, results.WriteTimeline(casefolder.TimelinePath(dir), rows))
	return dir
}

// Where the data leaves the profile undetermined, calibrate says why,
// writes nothing and exits 2; --force writes it, marked.
func TestCalibrateRefusesAnUndeterminedProfile(t *testing.T) {
	run := noisyRun(t)
	out := filepath.Join(t.TempDir(), "p.yaml")
	code, stdout, stderr := runCLI(t, "calibrate", run, "-o", out)
	require.Equal(t, 2, code, stdout+stderr)
	require.Contains(t, stderr, "the data does not determine the profile")
	require.Contains(t, stderr, "decode_step_ms vs KV utilisation: at x=")
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err), "nothing written")

	code, stdout, stderr = runCLI(t, "calibrate", run, "-o", out, "--force")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "written although undetermined")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(data), "# UNDETERMINED (written with --force)")
	require.Contains(t, string(data), "# Queueing taken out by: recorded prefill wait")
}
