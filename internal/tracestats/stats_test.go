package tracestats

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func TestStats(t *testing.T) {
	a, err := NewAccumulator(10 * time.Second)
	require.NoError(t, err)
	recs := []schemas.TraceRecord{
		{Timestamp: 0, InputLength: 100, OutputLength: 10, HashIDs: []int64{0}},
		{Timestamp: 5000, InputLength: 100, OutputLength: 10, HashIDs: []int64{0, 1}},
		{Timestamp: 12000, InputLength: 300, OutputLength: 5, HashIDs: []int64{2, 1 << 40}},
		{Timestamp: 19500, InputLength: 100, OutputLength: 10, HashIDs: []int64{1 << 40}},
		{Timestamp: 20000, InputLength: 100, OutputLength: 10},
	}
	for i := range recs {
		a.Add(&recs[i])
	}
	s := a.Stats()
	require.Equal(t, 5, s.Requests)
	require.Equal(t, 20.0, s.DurationS)
	require.Equal(t, 0.25, s.MeanRate)
	require.Equal(t, []float64{0.2, 0.2, 0.1}, s.BucketRates)
	require.Equal(t, 0.2, s.MinBucketRate, "the barely started last bucket is left out")
	require.Equal(t, 0.2, s.MaxBucketRate)
	require.Equal(t, []Class{{100, 10, 4, 0.8}, {300, 5, 1, 0.2}}, s.Classes)
	require.Equal(t, int64(6), s.Blocks)
	require.Equal(t, int64(4), s.UniqueHashIDs)
	require.Equal(t, int64(700), s.InputTokens)
}

func TestFileReportsBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"timestamp": 0, "input_length": 1, "output_length": 1}`+"\nnope\n"), 0o644))
	_, err := File(path, time.Second)
	require.ErrorContains(t, err, path+":2: invalid JSON")
	_, err = NewAccumulator(0)
	require.Error(t, err)
}
