package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
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
