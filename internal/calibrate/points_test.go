package calibrate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// A step is paired with its own worker's KV at its instant where the run
// names the worker, else with the workers' mean; a request without its
// own worker's KV that still decoded after the last send is left out
// (the drain), a decode step at an instant or not.
func TestDecodePointsPairEachStep(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	timeline := []schemas.TimelineRow{
		{TS: 0, KVUsage: 0.2, KVUsageByWorker: map[string]float64{"2": 0.1, "4": 0.3}},
		{TS: 10, KVUsage: 0.4, KVUsageByWorker: map[string]float64{"2": 0.5, "4": 0.3}},
	}
	rec := func(sent, first, step, end float64, worker int64) schemas.RequestRecord {
		r := schemas.NewRequestRecord(0, &schemas.TraceRecord{})
		r.SentAt, r.FirstTokenAt, r.DecodeStepAt, r.EndAt, r.DecodeWorker, r.ITLDecodeMS = at(sent), at(first), at(step), at(end), worker, 9
		return r
	}
	recs := []schemas.RequestRecord{
		rec(0, 1, 2.5, 4, 2),      // own worker at 2.5 s: 0.1 + 0.25 * (0.5 - 0.1) = 0.2
		rec(1, 1.5, 2.5, 2.9, -1), // no worker, done before the last send: the mean at 2.5 s, 0.2 + 0.25 * (0.4 - 0.2) = 0.25
		rec(3, 4, 8, 9, -1),       // still decoding after the last send (3 s), no worker: left out
		rec(2, 3, 7.5, 9, 4),      // after the last send, but its own worker's KV: 0.3
	}
	pts, notes := decodePoints(recs, timeline, func(x time.Time) float64 { return x.Sub(t0).Seconds() }, true)
	require.Len(t, pts, 3, "%v", notes)
	require.InDelta(t, 0.2, pts[0].x, 1e-12)
	require.InDelta(t, 0.25, pts[1].x, 1e-12)
	require.InDelta(t, 0.3, pts[2].x, 1e-12)
	require.Contains(t, notes[0], "2 requests paired with their own decode worker's KV")
	require.Contains(t, notes[0], "1 with the decode workers' mean")
	require.Contains(t, notes[1], "1 requests without their own worker's KV")
}
