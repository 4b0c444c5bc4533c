package aiperf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// Records written as AIPerf's profile_export.jsonl read back with what the
// format holds; a bad line is named by file and line.
func TestReadRecordsRoundTrip(t *testing.T) {
	sent := time.Unix(1_700_000_000, 0).UTC()
	ok := schemas.NewRequestRecord(7, &schemas.TraceRecord{InputLength: 3000, OutputLength: 150})
	ok.SetTimings(sent, sent.Add(40*time.Millisecond), sent.Add(3040*time.Millisecond), 150, 5) // time scale 5: trace ms
	ok.PromptTokens, ok.CompletionTokens, ok.Chunks, ok.Status = 3000, 150, 150, schemas.StatusOK
	failed := schemas.NewRequestRecord(8, &schemas.TraceRecord{InputLength: 3000, OutputLength: 150})
	failed.SentAt, failed.Status, failed.ErrorClass, failed.Error, failed.HTTPStatus = sent, schemas.StatusError, schemas.ErrClassHTTP, "overloaded", 503
	var buf bytes.Buffer
	require.NoError(t, WriteRecords(&buf, "c", "w", []schemas.RequestRecord{ok, failed}))
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, RecordsFile), buf.Bytes(), 0o644))

	recs, err := ReadRecords(dir, 5)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	got := recs[0]
	require.EqualValues(t, 7, got.Index)
	require.Equal(t, schemas.StatusOK, got.Status)
	require.Equal(t, sent, got.SentAt)
	require.Equal(t, ok.EndAt, got.EndAt)
	require.Equal(t, sent.Add(40*time.Millisecond), got.FirstTokenAt, "TTFT 200 trace ms at time scale 5 is 40 wall ms after the send")
	require.InDelta(t, 200, got.TTFTMS, 1e-9)
	require.InDelta(t, ok.ITLMS, got.ITLMS, 1e-9)
	require.EqualValues(t, 3000, got.PromptTokens)
	require.EqualValues(t, 150, got.CompletionTokens)
	require.EqualValues(t, -1, got.CachedTokens, "AIPerf records no cached tokens")
	require.Equal(t, schemas.StatusError, recs[1].Status)
	require.EqualValues(t, 3000, recs[1].InputLength)

	require.NoError(t, os.WriteFile(filepath.Join(dir, RecordsFile), append(buf.Bytes(), "{not json\n"...), 0o644))
	_, err = ReadRecords(dir, 1)
	require.ErrorContains(t, err, RecordsFile+":3:")
	_, err = ReadRecords(t.TempDir(), 1)
	require.ErrorContains(t, err, "no "+RecordsFile)
}
