package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/store"
	"plannerbench/internal/store/storetest"
)

// calibrate --results-url reads a case a worker published to an S3
// bucket (in-process) as it reads the folder itself; a key with no
// published case is bad input.
func TestCalibrateFromABucket(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	run := noisyRun(t)
	url := storetest.S3(t, "results", "planted-secret")
	b, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	_, err = b.Publish(context.Background(), run, "m/a", "node-1")
	require.NoError(t, err)
	require.NoError(t, b.Close())

	local := filepath.Join(t.TempDir(), "local.yaml")
	code, want, stderr := runCLI(t, "calibrate", run, "-o", local, "--force")
	require.Equal(t, 0, code, stderr)
	remote := filepath.Join(t.TempDir(), "remote.yaml")
	code, got, stderr := runCLI(t, "calibrate", "--results-url", url, "m/a", "-o", remote, "--force")
	require.Equal(t, 0, code, stderr)
	fits := func(s string) string { return s[:strings.Index(s, "wrote ")] }
	require.Equal(t, fits(want), fits(got), "the same fits from the bucket's copy")

	code, _, stderr = runCLI(t, "calibrate", "--results-url", url, "m/none", "-o", remote)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "m/none: no published case")
	code, _, stderr = runCLI(t, "calibrate", "--results-url", "results/", "m/a", "-o", remote)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "want a bucket URL")
}
