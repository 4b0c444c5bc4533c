package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/dynamo/kubetest"
)

// validate --server asks a real API server (Dynamo's CRDs) about the
// matrix's manifest: the upstream example passes at both deployments; a
// field its CRD refuses is exit 2 naming that field.
func TestValidateAsksTheAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cl := kubetest.Start(t)
	dir := t.TempDir()
	good := "../deploy/dynamo/testdata/disagg_planner.yaml"
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(string(data), "spec:\n  services:", "spec:\n  backendFramework: tensorflow\n  services:", 1)), 0o644))
	matrix := func(manifest string) string {
		p := filepath.Join(dir, filepath.Base(manifest)+".matrix.yaml")
		require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf(`
name: server-check
backend: {kind: dynamo, manifest: %s, namespace: bench, kubeconfig: %s, url: "http://frontend:8000"}
trace: {synth: {time_duration: 60}}
cases:
  - {name: a, deployment: 1p1d, planner: {mode: noop}}
  - {name: b, deployment: 2p2d, planner: {mode: noop}}
`, manifest, cl.Kubeconfig)), 0o644))
		return p
	}
	code, _, errOut := runCLI(t, "validate", "--server", matrix(good))
	require.Equal(t, 0, code, errOut)

	code, _, errOut = runCLI(t, "validate", "--server", matrix(bad))
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, `spec.backendFramework: Unsupported value: "tensorflow"`)
	require.Contains(t, errOut, "deployment 1p1d")

	code, _, errOut = runCLI(t, "validate", matrix(bad))
	require.Equal(t, 0, code, "without --server only the file is checked: %s", errOut)
}
