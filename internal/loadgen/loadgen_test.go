package loadgen

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

const model = schemas.DefaultModel

// simServer starts an in-process simulated 1p1d graph.
func simServer(t *testing.T, scale float64, prefill, decode int) (*httptest.Server, *simserver.Realtime) {
	t.Helper()
	prof, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	cfg := sim.DefaultGraphConfig()
	cfg.PrefillWorkers, cfg.DecodeWorkers = prefill, decode
	eng, err := sim.NewEngine(prof, cfg)
	require.NoError(t, err)
	rt := simserver.NewRealtime(eng, scale)
	ctx, cancel := context.WithCancel(context.Background())
	go rt.Run(ctx)
	srv := httptest.NewServer(simserver.NewServer(rt, simserver.ServerOptions{}).Handler())
	t.Cleanup(func() { srv.Close(); cancel() })
	return srv, rt
}

// writeTrace writes rows as a trace file.
func writeTrace(t *testing.T, rows []schemas.TraceRecord) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := schemas.NewTraceWriter(f)
	for i := range rows {
		require.NoError(t, w.Write(&rows[i]))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

func evenTrace(n int, every time.Duration, isl, osl int) []schemas.TraceRecord {
	rows := make([]schemas.TraceRecord, n)
	for i := range rows {
		rows[i] = schemas.TraceRecord{Timestamp: int64(i) * every.Milliseconds(), InputLength: isl, OutputLength: osl, HashIDs: []int64{int64(i)}}
	}
	return rows
}

func TestPromptBuilder(t *testing.T) {
	pb := PromptBuilder{BlockSize: 4}
	a := pb.Build(0, &schemas.TraceRecord{InputLength: 10, HashIDs: []int64{7, 8, 9}})
	b := pb.Build(1, &schemas.TraceRecord{InputLength: 6, HashIDs: []int64{7, 5}})
	c := pb.Build(2, &schemas.TraceRecord{InputLength: 3})
	require.Equal(t, 10, sim.CountTokens(a))
	require.Equal(t, 6, sim.CountTokens(b))
	require.Equal(t, 3, sim.CountTokens(c))
	wa, wb := strings.Fields(a), strings.Fields(b)
	require.Equal(t, wa[:4], wb[:4], "equal hash ids give equal blocks")
	require.NotEqual(t, wa[4:6], wb[4:6])
	require.Equal(t, a, pb.Build(0, &schemas.TraceRecord{InputLength: 10, HashIDs: []int64{7, 8, 9}}), "deterministic")
}

func TestSpliceExtras(t *testing.T) {
	require.Equal(t, `{"ignore_eos":true,"min_tokens":5,"nvext":{"extra_fields":["timing","worker_id"]},"model":"m"}`, string(spliceExtras([]byte(`{"model":"m"}`), 5)))
	require.Equal(t, `{"ignore_eos":true,"min_tokens":1,"nvext":{"extra_fields":["timing","worker_id"]}}`, string(spliceExtras([]byte(`{}`), 1)))
}

func TestEveryRowRecordedOnceAgainstSim(t *testing.T) {
	srv, _ := simServer(t, 20, 2, 2)
	trace := writeTrace(t, evenTrace(120, 100*time.Millisecond, 500, 40))
	out := filepath.Join(t.TempDir(), "requests")
	var last Progress
	res, err := Run(context.Background(), Config{URL: srv.URL, Model: model, TimeScale: 20, FlushInterval: 100 * time.Millisecond, ProgressInterval: 50 * time.Millisecond},
		trace, out, nil, func(p Progress) { last = p })
	require.NoError(t, err)
	require.Equal(t, 120, res.Total)
	require.Equal(t, int64(120), res.Done)
	require.Equal(t, last.Done, res.Done)
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 120)
	parts, _ := results.ListParts(out)
	require.Greater(t, len(parts), 1, "records are flushed in several parts")
	var itls []float64
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index)
		require.Equal(t, schemas.StatusOK, r.Status, r.Error)
		require.Equal(t, int32(500), r.PromptTokens, "the simulator saw exactly input_length tokens")
		require.Equal(t, int32(40), r.CompletionTokens)
		require.Equal(t, int32(40), r.Chunks)
		require.Equal(t, "length", r.FinishReason)
		require.False(t, r.SentAt.Before(r.ScheduledAt))
		require.True(t, r.FirstTokenAt.After(r.SentAt))
		require.False(t, r.EndAt.Before(r.FirstTokenAt))
		require.Greater(t, r.TTFTMS, 0.0)
		itls = append(itls, r.ITLMS)
	}
	s := results.Summarize(recs, 20, results.SLO{TTFTMS: 500, ITLMS: 50})
	require.Equal(t, 120, s.Completed)
	// Independent of the driver's arithmetic: the trace's span is 119 rows
	// x 100 ms = 11.9 s of trace time from the first send to the last, and
	// the run lasts that plus the last request's own latency.
	final := recs[len(recs)-1]
	require.GreaterOrEqual(t, s.DurationS, 11.9)
	require.InDelta(t, 11.9+final.LatencyMS/1000, s.DurationS, 0.4, "duration = trace span + last request (0.4 s = 20 ms wall of jitter at 20x)")
	// ITL is the simulator's decode step: each of 2 decode workers holds a
	// few 540-token sequences of 434,875 tokens of KV, so utilisation stays
	// under 1% and the step lies between the profile's step at 0 and at 1%.
	prof, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	lo, hi := ms(prof.DecodeStepTime(0)), ms(prof.DecodeStepTime(0.01))
	med := results.Describe(itls).P50
	t.Logf("median ITL %.3f ms, model step %.3f..%.3f ms; duration %.3f s, last latency %.1f ms", med, lo, hi, s.DurationS, final.LatencyMS)
	require.GreaterOrEqual(t, med, lo-1, "median ITL %.3f ms vs the model's step %.3f..%.3f ms", med, lo, hi)
	require.LessOrEqual(t, med, hi+2, "median ITL %.3f ms vs the model's step %.3f..%.3f ms", med, lo, hi)
}

// A driver that falls behind (here: started 300 ms after its t0, so the
// first 60 rows, 5 ms apart at time scale 20, are overdue) sends the late
// rows at once and keeps every row at t0 + timestamp / scale, as AIPerf's
// fixed schedule does: it does not shift the rest of the trace.
func TestALateStartKeepsTheAbsoluteSchedule(t *testing.T) {
	srv, _ := simServer(t, 20, 2, 2)
	rows := evenTrace(120, 100*time.Millisecond, 100, 2)
	trace := writeTrace(t, rows)
	out := filepath.Join(t.TempDir(), "requests")
	t0 := time.Now().Add(-300 * time.Millisecond)
	_, err := Run(context.Background(), Config{URL: srv.URL, Model: model, TimeScale: 20, T0: t0}, trace, out, nil, nil)
	require.NoError(t, err)
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, len(rows))
	var onTime []float64
	for _, r := range recs {
		want := t0.Add(time.Duration(rows[r.Index].Timestamp) * time.Millisecond / 20)
		require.WithinDuration(t, want, r.ScheduledAt, time.Microsecond, "row %d (Parquet keeps microseconds)", r.Index)
		if r.Index >= 100 { // 200 ms after the start: long caught up
			onTime = append(onTime, r.LatenessMS)
		}
	}
	require.Less(t, results.Describe(onTime).P50, 20.0, "the rows after the backlog go on time (lateness, wall ms)")
	require.Greater(t, recs[0].LatenessMS, 250.0, "the first row went 300 ms late")
}

// TestIdleRequestMatchesModel sends requests one at a time to an idle graph
// at time scale 1 and compares TTFT, ITL and latency with the model's
// prediction. Contention on a busy test machine only ever adds delay, so the
// closest of several warm requests is the measurement.
func TestIdleRequestMatchesModel(t *testing.T) {
	if testing.Short() {
		t.Skip("6 s of real time")
	}
	srv, _ := simServer(t, 1, 1, 1)
	var rows []schemas.TraceRecord
	for i := 0; i < 5; i++ { // each ends (≈ 0.9 s) before the next starts
		rows = append(rows, schemas.TraceRecord{Timestamp: int64(i) * 1200, InputLength: 3000, OutputLength: 30, HashIDs: []int64{int64(i)}})
	}
	out := filepath.Join(t.TempDir(), "requests")
	_, err := Run(context.Background(), Config{URL: srv.URL, Model: model}, writeTrace(t, rows), out, nil, nil)
	require.NoError(t, err)
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 5)

	// The model's answer, in virtual time.
	prof, _ := sim.LoadProfile("h100-llama8b")
	eng, _ := sim.NewEngine(prof, sim.DefaultGraphConfig())
	var tokens []time.Duration
	_, err = eng.Submit(&sim.Request{PromptTokens: 3000, MaxTokens: 30, Observer: sim.ObserverFuncs{OnToken: func(now time.Duration, _ int) { tokens = append(tokens, now) }}})
	require.NoError(t, err)
	eng.RunUntilIdle(time.Hour)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	wantTTFT, wantLat := ms(tokens[0]), ms(tokens[len(tokens)-1])
	wantITL := (wantLat - wantTTFT) / 29

	best := recs[1]
	for _, r := range recs[1:] { // recs[0] also pays for the connection
		require.Equal(t, schemas.StatusOK, r.Status, r.Error)
		t.Logf("row %d: TTFT %.2f ms (model %.2f), ITL %.3f ms (model %.3f), latency %.2f ms (model %.2f)",
			r.Index, r.TTFTMS, wantTTFT, r.ITLMS, wantITL, r.LatencyMS, wantLat)
		if math.Abs(r.TTFTMS-wantTTFT) < math.Abs(best.TTFTMS-wantTTFT) {
			best = r
		}
	}
	require.InDelta(t, wantTTFT, best.TTFTMS, 2)
	require.InDelta(t, wantITL, best.ITLMS, 2)
	require.InDelta(t, wantLat, best.LatencyMS, 2)
}

// faultyServer answers by prompt length: 11 → HTTP 500, 12 → hangs past the
// timeout, 13 → drops the connection mid-stream, 14 → nothing listens
// (handled by the test), anything else → the simulator.
func faultyServer(t *testing.T, next http.Handler) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(strings.Builder)
		_, _ = fmt.Fprint(body, "")
		buf := make([]byte, 1<<20)
		n, _ := r.Body.Read(buf)
		raw := string(buf[:n])
		content := raw[strings.Index(raw, `"content":"`)+11:]
		content = content[:strings.Index(content, `"`)]
		switch sim.CountTokens(content) {
		case 11:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"error":{"message":"engine crashed","type":"server_error"}}`))
		case 12:
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case 13:
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" a\"}}]}\n\n"))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			r.Body = readCloser{strings.NewReader(raw)}
			next.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestFailuresBecomeRecords(t *testing.T) {
	simSrv, _ := simServer(t, 20, 1, 1)
	srv := faultyServer(t, simSrv.Config.Handler)
	rows := []schemas.TraceRecord{
		{Timestamp: 0, InputLength: 20, OutputLength: 5},
		{Timestamp: 10, InputLength: 11, OutputLength: 5},
		{Timestamp: 20, InputLength: 12, OutputLength: 5},
		{Timestamp: 30, InputLength: 13, OutputLength: 5},
	}
	out := filepath.Join(t.TempDir(), "requests")
	_, err := Run(context.Background(), Config{URL: srv.URL, Model: model, TimeScale: 20, RequestTimeout: 300 * time.Millisecond},
		writeTrace(t, rows), out, nil, nil)
	require.NoError(t, err, "failed requests are data, not a failed run")
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, schemas.StatusOK, recs[0].Status)
	require.Equal(t, schemas.StatusError, recs[1].Status)
	require.Equal(t, schemas.ErrClassHTTP, recs[1].ErrorClass)
	require.Equal(t, int32(500), recs[1].HTTPStatus)
	require.Contains(t, recs[1].Error, "engine crashed")
	require.Equal(t, schemas.ErrClassTimeout, recs[2].ErrorClass, recs[2].Error)
	require.Equal(t, schemas.ErrClassStream, recs[3].ErrorClass, recs[3].Error)
	require.Equal(t, int32(1), recs[3].Chunks)

	// Nobody listening: a connection error, still a record.
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	out2 := filepath.Join(t.TempDir(), "requests")
	_, err = Run(context.Background(), Config{URL: url, Model: model}, writeTrace(t, rows[:1]), out2, nil, nil)
	require.NoError(t, err)
	recs, err = results.ReadRequests(context.Background(), out2)
	require.NoError(t, err)
	require.Equal(t, schemas.ErrClassConnection, recs[0].ErrorClass, recs[0].Error)
}

// TestResumeRecordsEveryIndexOnce stops a run midway, as a crash would,
// then resumes it: rows lost in flight become interrupted, rows whose time
// passed become skipped, and every index appears exactly once.
func TestResumeRecordsEveryIndexOnce(t *testing.T) {
	srv, _ := simServer(t, 20, 2, 2)
	trace := writeTrace(t, evenTrace(400, 50*time.Millisecond, 300, 60)) // 1 s of wall time at scale 20
	out := filepath.Join(t.TempDir(), "requests")
	ctx, cancel := context.WithCancel(context.Background())
	var point ResumePoint
	time.AfterFunc(250*time.Millisecond, cancel)
	_, err := Run(ctx, Config{URL: srv.URL, Model: model, TimeScale: 20, ProgressInterval: 20 * time.Millisecond}, trace, out, nil,
		func(p Progress) { point = p.Resume })
	require.ErrorIs(t, err, context.Canceled)
	require.Greater(t, point.NextIndex, int64(0))
	// Lose the heartbeat's last ticks: resume from an older point, as a
	// worker restarted from stale details would.
	point.NextIndex = max(0, point.NextIndex-3)
	time.Sleep(200 * time.Millisecond) // rows come due while nothing runs
	res, err := Run(context.Background(), Config{URL: srv.URL, Model: model, TimeScale: 20, Attempt: 2, SkipAfter: 50 * time.Millisecond}, trace, out, &point, nil)
	require.NoError(t, err)
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 400)
	counts := map[string]int{}
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index, "each index exactly once")
		counts[r.Status]++
	}
	t.Logf("statuses %v, resumed run %+v", counts, res.Progress)
	require.Greater(t, counts[schemas.StatusSkipped], 0)
	require.Greater(t, counts[schemas.StatusOK], 150)
	require.Equal(t, 400, counts[schemas.StatusOK]+counts[schemas.StatusSkipped]+counts[schemas.StatusInterrupted])
	require.False(t, math.IsNaN(recs[len(recs)-1].TTFTMS))
}

// The simulator's injected faults reach the records as a real graph's
// would: 503s as HTTP errors, dropped streams as stream errors, each row
// once, and the summary counts them by class.
func TestInjectedFaultsAreRecordedByClass(t *testing.T) {
	srv, rt := simServer(t, 50, 1, 1)
	rt.Do(func(e *sim.Engine) {
		require.NoError(t, e.SetFaults(sim.Faults{HTTPErrorRate: 0.3, StreamDropRate: 0.3}))
	})
	out := filepath.Join(t.TempDir(), "requests")
	_, err := Run(context.Background(), Config{URL: srv.URL, Model: model, TimeScale: 50},
		writeTrace(t, evenTrace(60, 100*time.Millisecond, 200, 20)), out, nil, nil)
	require.NoError(t, err)
	recs, err := results.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 60)
	byClass := map[string]int{}
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index)
		switch r.Status {
		case schemas.StatusOK:
			require.Equal(t, int32(20), r.CompletionTokens)
		case schemas.StatusError:
			byClass[r.ErrorClass]++
			if r.ErrorClass == schemas.ErrClassHTTP {
				require.Equal(t, int32(503), r.HTTPStatus)
				require.Contains(t, r.Error, "injected fault")
			} else {
				require.Equal(t, schemas.ErrClassStream, r.ErrorClass, r.Error)
			}
		default:
			t.Fatalf("row %d: status %s", i, r.Status)
		}
	}
	require.Greater(t, byClass[schemas.ErrClassHTTP], 5, "about 30% of 60")
	require.Greater(t, byClass[schemas.ErrClassStream], 5, "about 30% of the rest")
	sum := results.Summarize(recs, 50, results.SLO{})
	require.Equal(t, byClass, sum.ErrorsByClass)
	require.Equal(t, byClass[schemas.ErrClassHTTP]+byClass[schemas.ErrClassStream], sum.Errors)
}
