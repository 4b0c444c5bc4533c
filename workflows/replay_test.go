package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from a real run of
// the seed matrix (testdata/histories: the matrix, its planner case, and
// that case's planner) against today's workflow code. A change that would
// break a benchmark already running (a new activity call, a reordered
// timer, a renamed payload field the code depends on) fails here.
//
// When a change is meant to be incompatible, version it with
// workflow.GetVersion, or, before any user runs the old code, record the
// histories again with the new code:
//
//	make temporal
//	PLANNERBENCH_RECORD_HISTORIES=1 go test -count=1 -run TestSeedMatrixEndToEnd ./workflows/e2e
//
// which rewrites testdata/histories/*.json (docs/architecture.md says more).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 3, "matrix, benchmark and planner histories")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
