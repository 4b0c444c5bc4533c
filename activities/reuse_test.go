package activities

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"plannerbench/activities/payload"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// A resubmitted matrix reuses a case's results only when they are of the
// same spec; results of another spec are kept aside and the case reruns.
func TestFindCompletedReusesOnlyTheSameSpec(t *testing.T) {
	root := t.TempDir()
	a := &Activities{ResultsDir: root}
	spec := schemas.Case{ID: "planner", Matrix: "seed", Name: "planner", Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: "h100-llama8b"}}
	dir := payload.CaseDir(root, "seed", "planner")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, results.SummaryFile), []byte(`{}`), 0o644))
	data, _ := json.Marshal(spec)
	require.NoError(t, os.WriteFile(filepath.Join(dir, results.CaseFile), data, 0o644))

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a.FindCompleted)
	find := func(sp schemas.Case) map[string]payload.ResultRef {
		v, err := env.ExecuteActivity(a.FindCompleted, payload.FindCompletedInput{Matrix: "seed", Cases: []string{"planner"}, Specs: []schemas.Case{sp}})
		require.NoError(t, err)
		var got map[string]payload.ResultRef
		require.NoError(t, v.Get(&got))
		return got
	}
	require.Contains(t, find(spec), "planner", "same spec: reused")

	other := spec
	other.Backend.Profile = "h100-llama8b-profiled"
	require.Empty(t, find(other), "another profile: not reused")
	aside, err := filepath.Glob(dir + ".before-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the old results are kept")
	_, err = os.Stat(filepath.Join(aside[0], results.SummaryFile))
	require.NoError(t, err)
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the case folder is free for the rerun")
}
