package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
)

// TimingOf's figures, worked by hand: wall offsets from t0 times the time
// scale (5), each sample's and decision's late_ms as recorded.
func TestTimingOfReadsALiveRunsRecords(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	rec := func(i int64, sentMS, ackMS int) schemas.RequestRecord {
		r := schemas.NewRequestRecord(i, &schemas.TraceRecord{InputLength: 10, OutputLength: 2})
		r.SentAt, r.AckAt = t0.Add(time.Duration(sentMS)*time.Millisecond), t0.Add(time.Duration(ackMS)*time.Millisecond)
		return r
	}
	noAck := rec(3, 300, 0)
	noAck.AckAt = time.Time{}
	records := []schemas.RequestRecord{rec(0, 100, 101), rec(2, 200, 203), noAck}
	samples := []schemas.Sample{{At: time.Second, LateMS: 4}, {At: 3 * time.Second, LateMS: 2}}
	decisions := []schemas.Decision{{Interval: 2, ObservedLateMS: 200, AppliedLateMS: 350}}
	tm := TimingOf(records, samples, decisions, t0, time.Second, 5)
	ms := time.Millisecond
	require.Equal(t, []time.Duration{500 * ms, -1, 1000 * ms, 1500 * ms}, tm.SentAt, "request 1 was never sent")
	require.Equal(t, []time.Duration{505 * ms, -1, 1015 * ms, -1}, tm.AckAt, "request 3 has no headers")
	require.Equal(t, []time.Duration{4 * ms, -1, 2 * ms}, tm.SampleLate, "pull 2 was not taken")
	require.Equal(t, []time.Duration{0, 200 * ms}, tm.ObserveLate)
	require.Equal(t, []time.Duration{0, 350 * ms}, tm.ApplyLate)
}

func TestDrawStaysBetweenSendAndHeaders(t *testing.T) {
	ms := time.Millisecond
	tm := &Timing{SentAt: []time.Duration{500 * ms, -1, 1000 * ms, 1500 * ms}, AckAt: []time.Duration{505 * ms, -1, 1015 * ms, -1}}
	a, b, again := tm.Draw(1), tm.Draw(2), tm.Draw(1)
	require.Equal(t, a.SentAt, again.SentAt, "a seed draws the same instants")
	require.NotEqual(t, a.SentAt, b.SentAt)
	for _, d := range []*Timing{a, b} {
		require.GreaterOrEqual(t, d.SentAt[0], 500*ms)
		require.LessOrEqual(t, d.SentAt[0], 505*ms)
		require.GreaterOrEqual(t, d.SentAt[2], 1000*ms)
		require.LessOrEqual(t, d.SentAt[2], 1015*ms)
		require.Equal(t, time.Duration(-1), d.SentAt[1], "never sent")
		require.Equal(t, 1500*ms, d.SentAt[3], "no headers: at its send")
	}
	require.Equal(t, 500*ms, tm.SentAt[0], "the original is left alone")
}

// With no lateness recorded a timed replay runs on the dot: the default
// replay's decisions, and its figures within 1% (its decisions come a
// nanosecond after their instant, after a pull on time, which an
// overloaded queue answers with a slightly other order).
func TestATimingWithNoLatenessIsTheDefault(t *testing.T) {
	// A 45 s start-up (the 2026 mocker's): with the default's 42.5 s a new
	// worker's ready instant ties with a trace arrival (timestamps in ms)
	// that the timed replay, deciding 1 ns later, breaks the other way.
	opts := options(t, "h100-llama8b-2026", schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad)
	dot, err := Run(context.Background(), opts)
	require.NoError(t, err)
	opts.Timing = &Timing{}
	timed, err := Run(context.Background(), opts)
	require.NoError(t, err)
	require.NotEmpty(t, changes(dot.Decisions), "the planner scales, so timing could matter")
	require.Equal(t, changes(dot.Decisions), changes(timed.Decisions))
	require.InEpsilon(t, dot.Summary.AvgRequestLatencyMS, timed.Summary.AvgRequestLatencyMS, 0.01)
	require.InEpsilon(t, dot.Summary.AvgNumGPU, timed.Summary.AvgNumGPU, 0.01, "a draining worker holds its GPU as long as its requests take")
}

func changes(ds []schemas.Decision) [][3]int {
	var out [][3]int
	for _, d := range ds {
		if d.Changes() {
			out = append(out, [3]int{d.Interval, d.DeltaPrefill, d.DeltaDecode})
		}
	}
	return out
}

// Each kind of lateness lands where a live run had it: a request at its
// recorded send, a pull not taken, a late pull stamped with its nominal
// instant, a read before the interval's last pull missing that sample,
// and a scaling taking effect late.
func TestATimedReplayKeepsEachLateness(t *testing.T) {
	opts := options(t, schemas.DefaultProfile, schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad)
	dot, err := Run(context.Background(), opts)
	require.NoError(t, err)
	first := -1
	for _, d := range dot.Decisions {
		if d.Scaled {
			first = d.Interval
			break
		}
	}
	require.Positive(t, first, "the planner scales on the seed trace")

	ms := time.Millisecond
	tm := &Timing{SentAt: []time.Duration{2 * time.Second}, SampleLate: make([]time.Duration, 20), ObserveLate: make([]time.Duration, first), ApplyLate: make([]time.Duration, first)}
	tm.SampleLate[4] = -1             // pull 5 not taken
	tm.SampleLate[6] = 300 * ms       // pull 7 late
	tm.SampleLate[19] = 500 * ms      // pull 20, the end of interval 2, late...
	tm.ObserveLate[1] = 100 * ms      // ...and read before it
	tm.ApplyLate[first-1] = 2500 * ms // the first scaling
	opts.Timing = tm
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)

	var r0 schemas.RequestRecord
	for _, r := range res.Records {
		if r.Index == 0 {
			r0 = r
		}
	}
	require.Equal(t, Epoch.Add(2*time.Second), r0.SentAt, "request 0 at its recorded send")
	at := map[time.Duration]schemas.Sample{}
	for _, s := range res.Samples {
		at[s.At] = s
	}
	require.NotContains(t, at, 5*time.Second, "pull 5 was not taken")
	require.Contains(t, at, 7*time.Second, "a late pull keeps its nominal instant")
	require.Contains(t, at, 20*time.Second)
	require.Equal(t, 10, res.Decisions[1].Inputs.Samples, "interval 2 was read before its last pull")
	require.Equal(t, 11, dot.Decisions[1].Inputs.Samples)

	// The scaling's new worker shows in the first pull after it took effect.
	to := time.Duration(first) * opts.Planner.AdjustmentInterval.D()
	starting := func(s schemas.Sample) int { return s.PrefillStarting + s.DecodeStarting }
	require.Greater(t, starting(dot.Samples[int(to/time.Second)]), starting(dot.Samples[int(to/time.Second)-1]), "on the dot: at +1 s")
	require.Equal(t, starting(at[to]), starting(at[to+time.Second]), "not yet at +1 s")
	require.Equal(t, starting(at[to]), starting(at[to+2*time.Second]), "not yet at +2 s")
	require.Greater(t, starting(at[to+3*time.Second]), starting(at[to]), "at +3 s")
}

// LoadTiming reads a case's folder. A replayed one (t0 the replay's
// epoch, time scale 1) reads back each request's send as the replay made
// it; the collector's and the planner's files are read where present.
func TestLoadTiming(t *testing.T) {
	opts := options(t, schemas.DefaultProfile, schemas.Deployment{Prefill: 1, Decode: 1}, schemas.PlannerLoad)
	opts.OutDir = t.TempDir()
	opts.Case = &schemas.Case{ID: "c", TimeScale: 1, Planner: opts.Planner}
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	writeLines(t, filepath.Join(opts.OutDir, casefolder.SamplesFile), `{"at":1000000000,"late_ms":3}`)
	// A torn append that the next append continued: that line is left out
	// and named, the others kept.
	writeLines(t, filepath.Join(opts.OutDir, casefolder.DecisionsFile), `{"interval":1,"applied_late_ms":40}`,
		`{"interval":2,"appl{"interval":2,"applied_late_ms":50}`, `{"interval":3,"applied_late_ms":60}`)
	tm, err := LoadTiming(context.Background(), opts.OutDir)
	require.NoError(t, err)
	require.Len(t, tm.SentAt, len(res.Records))
	for _, r := range res.Records {
		require.Equal(t, r.SentAt.Sub(Epoch), tm.SentAt[r.Index], "request %d", r.Index)
	}
	require.Equal(t, []time.Duration{3 * time.Millisecond}, tm.SampleLate)
	require.Equal(t, []time.Duration{40 * time.Millisecond, 0, 60 * time.Millisecond}, tm.ApplyLate)
	require.Len(t, tm.Skipped, 1)
	require.Contains(t, tm.Skipped[0], casefolder.DecisionsFile+":2: ")

	// A summary from before t0 was recorded cannot place the sends.
	sum := res.Summary
	sum.T0 = time.Time{}
	require.NoError(t, casefolder.WriteSummary(opts.OutDir, sum))
	_, err = LoadTiming(context.Background(), opts.OutDir)
	require.ErrorContains(t, err, "no t0")
	_, err = LoadTiming(context.Background(), t.TempDir())
	require.ErrorContains(t, err, casefolder.SpecFile)
}

func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	var data []byte
	for _, l := range lines {
		data = append(data, l+"\n"...)
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
}
