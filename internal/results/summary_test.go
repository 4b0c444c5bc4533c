package results

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/atomicfile"
	"plannerbench/schemas"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// okRecord is a completed request with its measurements written out by
// hand, in trace milliseconds (time scale 2: wall durations doubled).
func okRecord(index int64, sentMS, endMS int, ttft, itl, latency float64, tokens int32) schemas.RequestRecord {
	r := schemas.NewRequestRecord(index, &schemas.TraceRecord{InputLength: 100, OutputLength: int(tokens)})
	r.SentAt, r.EndAt = at(sentMS), at(endMS)
	r.TTFTMS, r.ITLMS, r.LatencyMS = ttft, itl, latency
	r.CompletionTokens, r.Chunks, r.PromptTokens = tokens, tokens, 100
	r.Status = schemas.StatusOK
	return r
}

func sampleRecords() []schemas.RequestRecord {
	failed := schemas.NewRequestRecord(3, &schemas.TraceRecord{InputLength: 100, OutputLength: 10})
	failed.Status, failed.ErrorClass, failed.SentAt = schemas.StatusError, schemas.ErrClassHTTP, at(1200)
	skipped := schemas.NewRequestRecord(4, &schemas.TraceRecord{InputLength: 100, OutputLength: 10})
	skipped.Status = schemas.StatusSkipped
	return []schemas.RequestRecord{
		// sent 0 ms, first token 100 ms, end 1000 ms wall; 10 tokens:
		// TTFT 200, latency 2000, ITL (2000-200)/9 = 200 trace ms.
		okRecord(0, 0, 1000, 200, 200, 2000, 10),
		okRecord(1, 500, 1500, 200, 200, 2000, 10),
		// one token: no ITL.
		okRecord(2, 1000, 1100, 200, math.NaN(), 200, 1),
		failed, skipped,
	}
}

func TestSummarizeCountsThroughputAndGoodput(t *testing.T) {
	s := Summarize(sampleRecords(), 2, SLO{TTFTMS: 300, ITLMS: 250})
	require.Equal(t, 5, s.Requests)
	require.Equal(t, 3, s.Completed)
	require.Equal(t, 1, s.Errors)
	require.Equal(t, 1, s.Skipped)
	require.Equal(t, map[string]int{schemas.ErrClassHTTP: 1}, s.ErrorsByClass)
	// First send 0 ms, last end 1500 ms wall = 3.0 s of trace time.
	require.InDelta(t, 3.0, s.DurationS, 1e-12)
	require.InDelta(t, 21.0/3.0, s.OutputTokenThroughput, 1e-12, "10 + 10 + 1 tokens in 3 s")
	require.InDelta(t, 1.0, s.RequestThroughput, 1e-12)
	// Requests 0 and 1 meet both targets; request 2 has no ITL, which AIPerf
	// does not count as good.
	require.Equal(t, 2, s.GoodRequests)
	require.InDelta(t, 2.0/3.0, s.Goodput, 1e-12)
	require.Equal(t, 2, s.ITLMS.Count, "the missing ITL is left out of the distribution")
	require.InDelta(t, (2000+2000+200)/3.0, s.AvgRequestLatencyMS, 1e-9)

	noITL := Summarize(sampleRecords(), 2, SLO{TTFTMS: 300})
	require.Equal(t, 3, noITL.GoodRequests, "without an ITL target the one-token answer is good")
	require.InDelta(t, 1.0, noITL.Goodput, 1e-12)

	tight := Summarize(sampleRecords(), 2, SLO{TTFTMS: 199.9, ITLMS: 250})
	require.Zero(t, tight.GoodRequests, "TTFT 200 misses a 199.9 ms target")
	none := Summarize(sampleRecords(), 2, SLO{})
	require.Equal(t, 3, none.GoodRequests, "no targets: every completed request is good")
}

func TestSetTimingsAIPerfDefinitions(t *testing.T) {
	r := schemas.NewRequestRecord(0, &schemas.TraceRecord{InputLength: 1, OutputLength: 5})
	// 5 tokens: first at 40 ms, end at 240 ms wall, time scale 10:
	// TTFT 400, latency 2400, ITL (2400-400)/4 = 500 trace ms.
	r.SetTimings(at(0), at(40), at(240), 5, 10)
	require.InDelta(t, 400, r.TTFTMS, 1e-9)
	require.InDelta(t, 2400, r.LatencyMS, 1e-9)
	require.InDelta(t, 500, r.ITLMS, 1e-9)

	one := schemas.NewRequestRecord(1, &schemas.TraceRecord{InputLength: 1, OutputLength: 1})
	one.SetTimings(at(0), at(30), at(30), 1, 1)
	require.InDelta(t, 30, one.TTFTMS, 1e-9)
	require.True(t, math.IsNaN(one.ITLMS), "one token has no inter-token latency")

	none := schemas.NewRequestRecord(2, &schemas.TraceRecord{InputLength: 1, OutputLength: 3})
	none.SetTimings(at(0), time.Time{}, at(70), 0, 1)
	require.InDelta(t, 70, none.LatencyMS, 1e-9)
	require.True(t, math.IsNaN(none.TTFTMS) && math.IsNaN(none.ITLMS), "no content: no TTFT, no ITL")
}

func TestPartsAreNumberedAndMerged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "requests")
	w, err := NewRequestWriter(dir)
	require.NoError(t, err)
	require.NoError(t, w.Flush(), "an empty flush writes nothing")
	recs := sampleRecords()
	w.Add(recs[3])
	w.Add(recs[0])
	require.NoError(t, w.Flush())
	w.Add(recs[2])
	require.NoError(t, w.Flush())
	parts, err := ListParts(dir)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "part-00000.parquet"), filepath.Join(dir, "part-00001.parquet")}, parts)

	// A writer killed mid-flush leaves a temporary file; a new writer on the
	// folder removes it and continues the numbering.
	stale := filepath.Join(dir, ".part-00002.parquet.tmp-123")
	require.NoError(t, os.WriteFile(stale, []byte("torn"), 0o644))
	w2, err := NewRequestWriter(dir)
	require.NoError(t, err)
	require.NoFileExists(t, stale)
	w2.Add(recs[1])
	require.NoError(t, w2.Flush())
	require.FileExists(t, filepath.Join(dir, "part-00002.parquet"))

	got, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	var idx []int64
	for _, r := range got {
		idx = append(idx, r.Index)
	}
	require.Equal(t, []int64{0, 1, 2, 3}, idx, "parts merge sorted by index")
	require.InDelta(t, 2000, got[0].LatencyMS, 1e-9)
	require.True(t, math.IsNaN(got[2].ITLMS), "a missing value round-trips as NaN")
	require.Equal(t, schemas.ErrClassHTTP, got[3].ErrorClass)
}

func TestAtomicWriteKeepsTheOldFileOnFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.json")
	require.NoError(t, atomicfile.WriteJSON(path, map[string]int{"v": 1}))
	boom := errors.New("disk full")
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, _ = w.Write([]byte(`{"v": 2, "half`))
		return boom
	})
	require.ErrorIs(t, err, boom)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.JSONEq(t, `{"v": 1}`, string(data), "readers still see the whole old file")
	entries, _ := os.ReadDir(filepath.Dir(path))
	require.Len(t, entries, 1, "no temporary file is left behind")
}

// A case's GPU figures are its load's: samples taken after the last
// answer (a live collector running on while a blocking adjustment ends)
// are left out; the timeline keeps them.
func TestGPUFiguresStopWithTheLastAnswer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// At time scale 2 a request ending 2.5 s of wall time after t0 ends at
	// 5 s of trace time.
	recs := []schemas.RequestRecord{{Index: 0, Status: schemas.StatusOK, ScheduledAt: t0, SentAt: t0,
		FirstTokenAt: t0.Add(time.Second), EndAt: t0.Add(2500 * time.Millisecond)}}
	var samples []schemas.Sample
	for i := 1; i <= 10; i++ { // 2 GPUs at 1..5 s, 4 after
		n := 2
		if i > 5 {
			n = 4
		}
		samples = append(samples, schemas.Sample{At: time.Duration(i) * time.Second, NumGPU: n, GPUsHeld: n})
	}
	sum, rows := BuildCase(recs, samples, nil, t0, 2, SLO{}, time.Second)
	require.Equal(t, 2.0, sum.AvgNumGPU, "samples at 1..5 s: 2 GPUs each")
	require.Equal(t, 10.0, sum.ReadyGPUSeconds, "5 samples x 2 GPUs x 1 s")
	require.Len(t, rows, 10)
	sum, _ = BuildCase(recs, samples, nil, time.Time{}, 2, SLO{}, time.Second)
	require.Equal(t, 3.0, sum.AvgNumGPU, "no t0: every sample, (5x2 + 5x4)/10")
}
