package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"plannerbench/workflows"
)

// recordHistoriesEnv, set to 1, makes the seed test write the histories of
// its matrix, one case and that case's planner into workflows/testdata,
// where the replay test (workflows/replay_test.go) replays them.
const recordHistoriesEnv = "PLANNERBENCH_RECORD_HISTORIES"

// keepResultsEnv names a folder where TestSeedMatrixEndToEnd writes its
// results instead of a temporary one, to look at the live cases after.
const keepResultsEnv = "PLANNERBENCH_E2E_KEEP"

// resultsDir is the folder keepResultsEnv names (made if missing), to look
// at the live cases afterwards, or else a temporary one.
func resultsDir(t *testing.T) string {
	keep := os.Getenv(keepResultsEnv)
	if keep == "" {
		return t.TempDir()
	}
	require.NoError(t, os.MkdirAll(keep, 0o755))
	return keep
}

func recordHistories(t *testing.T, c client.Client, in workflows.MatrixInput, caseID string) {
	t.Helper()
	dir := filepath.Join(repoRoot(), "workflows", "testdata", "histories")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, id := range map[string]string{
		"matrix.json":    workflows.MatrixID(in.Name, in.Hash),
		"benchmark.json": workflows.CaseID(in.Name, caseID),
		"planner.json":   workflows.PlannerID(in.Name, caseID),
	} {
		hist := &historypb.History{}
		iter := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		data, err := protojson.MarshalOptions{Indent: " "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		t.Logf("recorded %s: %d events of %s", name, len(hist.Events), id)
	}
}
