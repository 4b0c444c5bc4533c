package casefolder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// records are n finished requests, indexes in reverse (a compaction and a
// one-time write sort them).
func records(n int) []schemas.RequestRecord {
	var out []schemas.RequestRecord
	for i := range n {
		r := schemas.NewRequestRecord(int64(n-1-i), &schemas.TraceRecord{InputLength: 10, OutputLength: 3})
		r.Status, r.Chunks, r.CompletionTokens, r.LatenessMS = schemas.StatusOK, 3, 3, 0.5
		r.PrefillWaitMS, r.PrefillMS, r.ITLDecodeMS = 1, 40, 475
		r.SetTimings(time.Unix(int64(100+i), 0), time.Unix(int64(100+i), 5e7), time.Unix(int64(101+i), 0), 3, 1)
		out = append(out, r)
	}
	return out
}

// A live case's raw files become its results: the parts compacted into one
// file, the samples' bad line reported, every derived file written, and
// the records read back as they were sent.
func TestFinishALiveCase(t *testing.T) {
	dir := t.TempDir()
	recs := records(5)
	w, err := results.NewRequestWriter(RequestsPath(dir))
	require.NoError(t, err)
	for _, r := range recs {
		w.Add(r)
		require.NoError(t, w.Flush()) // one part a record
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, SamplesFile),
		[]byte("{\"at\":1000000000,\"num_gpu\":2}\ngarbage\n{\"at\":2000000000,\"num_gpu\":4}\n"), 0o644))
	spec := schemas.Case{ID: "c", Model: "m"}
	sum, rows, err := Finish(context.Background(), dir, Run{
		Info: aiperf.Info{CaseID: "c", Model: "m", Spec: &spec}, T0: time.Unix(99, 0), TimeScale: 1, Pull: time.Second,
	})
	require.NoError(t, err)
	require.Equal(t, 5, rows)
	require.Equal(t, 5, sum.Requests)
	require.Equal(t, 3.0, sum.AvgNumGPU, "the mean of the two samples that parse")
	require.Len(t, sum.SkippedLines, 1)
	require.Contains(t, sum.SkippedLines[0], SamplesFile+":2: ")
	require.NoDirExists(t, RequestsPath(dir), "the parts are compacted")
	for _, f := range []string{"requests.parquet", aiperf.RecordsFile, aiperf.SummaryJSONFile, aiperf.SummaryCSVFile, TimelineFile, SpecFile, SummaryFile} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	require.DirExists(t, filepath.Join(dir, TensorBoardDir))
	require.True(t, Complete(dir))
	back, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, back, 5)
	for i, r := range back {
		require.EqualValues(t, i, r.Index, "in trace-index order")
	}
	stored, err := ReadSummary(dir)
	require.NoError(t, err)
	require.Equal(t, sum.SkippedLines, stored.SkippedLines)
	got, err := ReadSpec(dir)
	require.NoError(t, err)
	require.Equal(t, spec.ID, got.ID)
}

// A case held in memory is written with each table as its one file (no
// parts), reads back as a finished live case does, and counts as complete.
func TestWriteACaseHeldInMemory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "replayed")
	recs := records(4)
	sum := results.Summarize(recs, 1, results.SLO{})
	require.NoError(t, Write(dir, Finished{Info: aiperf.Info{CaseID: "r"}, Records: recs, Summary: sum}))
	require.NoDirExists(t, RequestsPath(dir))
	require.FileExists(t, filepath.Join(dir, "requests.parquet"))
	require.NoFileExists(t, filepath.Join(dir, "gpu.parquet"), "no GPU samples, no table")
	require.NoFileExists(t, filepath.Join(dir, SpecFile), "no spec, no case.json")
	require.NoFileExists(t, TimelinePath(dir), "no timeline, no file")
	require.True(t, Complete(dir))
	back, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, back, 4)
	require.EqualValues(t, 0, back[0].Index)
	require.EqualValues(t, 3, recs[0].Index, "the caller's records are not reordered")
}
