package activities

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"plannerbench/activities/payload"
	"plannerbench/internal/aiperf"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// findCompleted returns a function running a.FindCompleted on the seed
// matrix's case "planner" of the spec given.
func findCompleted(t *testing.T, a *Activities) func(schemas.Case) map[string]payload.ResultRef {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a.FindCompleted)
	return func(sp schemas.Case) map[string]payload.ResultRef {
		v, err := env.ExecuteActivity(a.FindCompleted, payload.FindCompletedInput{Matrix: "seed", Cases: []string{"planner"}, Specs: []schemas.Case{sp}})
		require.NoError(t, err)
		var got map[string]payload.ResultRef
		require.NoError(t, v.Get(&got))
		return got
	}
}

// A resubmitted matrix reuses a case's results only when they are of the
// same spec; results of another spec are kept aside and the case reruns.
func TestFindCompletedReusesOnlyTheSameSpec(t *testing.T) {
	root := t.TempDir()
	a := &Activities{ResultsDir: root}
	spec := schemas.Case{ID: "planner", Matrix: "seed", Name: "planner", Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: "h100-llama8b"}}
	dir := payload.CaseDir(root, "seed", "planner")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, casefolder.SummaryFile), []byte(`{}`), 0o644))
	data, _ := json.Marshal(spec)
	require.NoError(t, os.WriteFile(filepath.Join(dir, casefolder.SpecFile), data, 0o644))

	find := findCompleted(t, a)
	require.Contains(t, find(spec), "planner", "same spec: reused")

	other := spec
	other.Backend.Profile = "h100-llama8b-profiled"
	require.Empty(t, find(other), "another profile: not reused")
	aside, err := filepath.Glob(dir + ".before-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the old results are kept")
	_, err = os.Stat(filepath.Join(aside[0], casefolder.SummaryFile))
	require.NoError(t, err)
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the case folder is free for the rerun")
}

// A reused case written before compaction and AIPerf's exports is brought
// up to date: one requests.parquet, the three AIPerf files; its records
// unchanged.
func TestFindCompletedUpgradesAnOldCaseFolder(t *testing.T) {
	root := t.TempDir()
	a := &Activities{ResultsDir: root, Node: "n1"}
	spec := schemas.Case{ID: "planner", Matrix: "seed", Name: "planner", Model: schemas.DefaultModel}
	dir := payload.CaseDir(root, "seed", "planner")
	w, err := results.NewRequestWriter(casefolder.RequestsPath(dir))
	require.NoError(t, err)
	for i := range 5 {
		r := schemas.NewRequestRecord(int64(4-i), &schemas.TraceRecord{InputLength: 10, OutputLength: 3})
		r.Status, r.Chunks, r.CompletionTokens, r.LatenessMS = schemas.StatusOK, 3, 3, 0.5 // no NaN: records compare with ==
		r.PrefillWaitMS, r.PrefillMS, r.ITLDecodeMS = 1, 40, 475
		r.SetTimings(time.Unix(int64(100+i), 0), time.Unix(int64(100+i), 5e7), time.Unix(int64(101+i), 0), 3, 1)
		w.Add(r)
		require.NoError(t, w.Flush()) // one part a record, as an old run left them
	}
	recs, err := casefolder.ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	sum := results.Summarize(recs, 1, results.SLO{})
	// The folder as an earlier version left it: no AIPerf exports.
	require.NoError(t, atomicfile.WriteJSON(filepath.Join(dir, casefolder.SpecFile), spec))
	require.NoError(t, casefolder.WriteSummary(dir, sum))

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a.FindCompleted)
	_, err = env.ExecuteActivity(a.FindCompleted, payload.FindCompletedInput{Matrix: "seed", Cases: []string{"planner"}, Specs: []schemas.Case{spec}})
	require.NoError(t, err)
	files, err := results.TableFiles(casefolder.RequestsPath(dir))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "requests.parquet")}, files)
	for _, f := range []string{aiperf.RecordsFile, aiperf.SummaryJSONFile, aiperf.SummaryCSVFile} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	after, err := casefolder.ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	require.Equal(t, recs, after)
}
