package calibrate

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/replay"
	"plannerbench/schemas"
)

// roundTripTrace writes 600 s of arrivals whose rate swings 0.5..5.5 req/s
// (a sinusoid, so the KV load spans a range), prompts of 500..6000 tokens
// and answers of 100..600, every prompt block its own (no prefix reuse).
func roundTripTrace(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "roundtrip.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := schemas.NewTraceWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	id := int64(0)
	for ts := 0.0; ts < 600; {
		rate := 3 + 2.5*math.Sin(2*math.Pi*ts/200)
		ts += rng.ExpFloat64() / rate
		isl := 500 + rng.IntN(5501)
		var hashes []int64
		for b := 0; b < (isl+511)/512; b++ {
			id++
			hashes = append(hashes, id)
		}
		require.NoError(t, w.Write(&schemas.TraceRecord{Timestamp: int64(ts * 1000), InputLength: isl, OutputLength: 100 + rng.IntN(501), HashIDs: hashes}))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

// A run on the simulator with a known profile, calibrated, gives a profile
// whose predictions stay within 5% of the known one over the run's prompt
// lengths and KV utilisations, and a replay with it reproduces the run's
// mean TTFT and ITL within 5%.
func TestCalibrateRoundTrip(t *testing.T) {
	truth, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	graph, err := sim.ForGraph(sim.GraphAlwaysRemote, schemas.Deployment{Prefill: 2, Decode: 1})
	require.NoError(t, err)
	trace := roundTripTrace(t)
	noop := schemas.DefaultPlannerConfig()
	noop.Mode = schemas.PlannerNoop
	run := func(prof *schemas.Profile, out string) *replay.Result {
		res, err := replay.Run(context.Background(), replay.Options{TracePath: trace, Profile: prof, Graph: graph, Planner: noop, OutDir: out})
		require.NoError(t, err)
		return res
	}
	dir := filepath.Join(t.TempDir(), "run")
	measured := run(truth, dir)

	base, err := sim.LoadProfile("h100-llama8b-profiled") // other timing: the fit must replace it
	require.NoError(t, err)
	base.KVTokens = truth.KVCapacityTokens()                                                    // same engine size
	base.TransferBytesPerSecond = truth.TransferBytesPerSecond                                  // same network
	base.DecodeStepMinMS, base.PrefillBatchCost = truth.DecodeStepMinMS, truth.PrefillBatchCost // same engine rules
	cal, err := FromRun(context.Background(), dir, base)
	require.NoError(t, err)
	t.Logf("prefill fit %v (R² %.4f, %d points over %.0f..%.0f tokens); decode fit %v (R² %.4f, %d points over %.3f..%.3f)",
		cal.Prefill.Coeffs, cal.Prefill.R2, cal.Prefill.Points, cal.Prefill.MinX, cal.Prefill.MaxX,
		cal.Decode.Coeffs, cal.Decode.R2, cal.Decode.Points, cal.Decode.MinX, cal.Decode.MaxX)
	require.Greater(t, cal.Decode.MaxX-cal.Decode.MinX, 0.1, "the run spans a KV range")

	for i := 0; i <= 20; i++ {
		isl := cal.Prefill.MinX + (cal.Prefill.MaxX-cal.Prefill.MinX)*float64(i)/20
		want, got := truth.PrefillMS.At(isl), cal.Profile.PrefillMS.At(isl)
		require.InEpsilon(t, want, got, 0.05, "prefill_ms(%.0f)", isl)
		u := cal.Decode.MinX + (cal.Decode.MaxX-cal.Decode.MinX)*float64(i)/20
		want, got = truth.DecodeStepMS.At(u), cal.Profile.DecodeStepMS.At(u)
		require.InEpsilon(t, want, got, 0.05, "decode_step_ms(%.3f)", u)
	}

	again := run(&cal.Profile, "")
	t.Logf("mean TTFT %.1f ms vs %.1f, mean ITL %.2f ms vs %.2f", measured.Summary.TTFTMS.Avg, again.Summary.TTFTMS.Avg, measured.Summary.ITLMS.Avg, again.Summary.ITLMS.Avg)
	require.InEpsilon(t, measured.Summary.TTFTMS.Avg, again.Summary.TTFTMS.Avg, 0.05)
	require.InEpsilon(t, measured.Summary.ITLMS.Avg, again.Summary.ITLMS.Avg, 0.05)
}
