package calibrate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/synth"
	"plannerbench/internal/synth/synthtest"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// tolerance is what a round trip holds to: the fitted profile's curves
// at the observed lengths and KV, and a replay with it (mean TTFT, ITL,
// request latency), within 5% of the truth.
const tolerance = 0.05

// roundTrip is one calibrate round trip: a replay with the truth profile
// is calibrated from base, then checked (see check); the same with
// the rule that makes the case pass turned off (off), calibrate must
// refuse or miss; a case without a rule passes either way.
type roundTrip struct {
	name       string
	params     func() schemas.SynthParams
	graph      string
	deployment schemas.Deployment
	planner    string
	truth      string
	base       string
	rule       string
	off        rules
	// curvesOnly: the replays are not compared (a chaotic run, below).
	curvesOnly bool
}

// The cases the issue names: the seed trace at 2p2d and with the planner,
// heavy prefix reuse, an overloaded run, two prompt lengths. Their
// expected values come from the truth profiles' files, not from
// calibrate.
func roundTrips() []roundTrip {
	noQueue, noCached, noPureStep := rules{noQueue: true}, rules{wholePrompts: true}, rules{meanITL: true}
	return []roundTrip{
		{name: "seed-2p2d", params: synthtest.SeedParams, graph: sim.GraphPlannerBenchmark, deployment: schemas.Deployment{Prefill: 2, Decode: 2},
			planner: schemas.PlannerNoop, truth: "h100-llama8b-seedfit", base: "h100-llama8b-profiled", rule: "queueing taken out", off: noQueue},
		{name: "seed-planner", params: synthtest.SeedParams, graph: sim.GraphPlannerBenchmark, deployment: schemas.Deployment{Prefill: 1, Decode: 1},
			planner: schemas.PlannerLoad, truth: "h100-llama8b-seedfit", base: "h100-llama8b-profiled"},
		{name: "prefix-heavy", params: prefixHeavy, graph: sim.GraphDisaggRouter, deployment: schemas.Deployment{Prefill: 2, Decode: 2},
			planner: schemas.PlannerNoop, truth: "h100-llama8b", base: "h100-llama8b-profiled", rule: "uncached tokens", off: noCached},
		{name: "overloaded", params: synthtest.SeedParams, graph: sim.GraphPlannerBenchmark, deployment: schemas.Deployment{Prefill: 2, Decode: 2},
			planner: schemas.PlannerNoop, truth: "h100-llama8b-profiled", base: "h100-llama8b", rule: "queueing taken out", off: noQueue},
		// The seed at disagg_router: the KV router loads the decode
		// workers unevenly and conditional disaggregation makes a busy
		// worker's pure steps early in a request's decode. Its replays
		// are chaotic (the prefill queue threshold: the truth with prefill
		// x0.9995..1.002 moves mean TTFT by -8.7..+10.8%, docs/calibrate.md),
		// so only its curves are held.
		{name: "kv-router-seed", params: synthtest.SeedParams, graph: sim.GraphDisaggRouter, deployment: schemas.Deployment{Prefill: 2, Decode: 2},
			planner: schemas.PlannerNoop, truth: "h100-llama8b-profiled", base: "h100-llama8b-profiled", rule: "each step against its own worker's KV at its instant",
			off: rules{meanKVOverDecode: true}, curvesOnly: true},
		{name: "two-isls", params: twoISLs, graph: sim.GraphDisaggRouter, deployment: schemas.Deployment{Prefill: 2, Decode: 2},
			planner: schemas.PlannerNoop, truth: "h100-llama8b", base: "h100-llama8b", rule: "the pure decode step", off: noPureStep},
	}
}

// prefixHeavy: 4000-token prompts whose eight 512-token blocks are drawn
// from 60, so most prompts share some prefix with an earlier one.
func prefixHeavy() schemas.SynthParams {
	p := schemas.DefaultSynthParams()
	p.Seed, p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 3, 600, 2, 8, 150
	p.ISL1, p.OSL1, p.ISL2, p.OSL2, p.TotalBlocks = 4000, 200, 4000, 200, 60
	return p
}

// twoISLs: a class of 1000-token prompts answered at length and one of
// 4000-token prompts answered briefly, the reference's default mix.
func twoISLs() schemas.SynthParams {
	p := schemas.DefaultSynthParams()
	p.Seed, p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 5, 600, 3, 10, 150
	p.ISL1, p.OSL1, p.ISL2, p.OSL2 = 1000, 300, 4000, 100
	return p
}

func TestCalibrateRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("five 600 s replays, each twice")
	}
	for _, c := range roundTrips() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := newRoundTripRun(t, c)
			require.NoError(t, rt.check(t, rules{}))
			if c.rule == "" {
				// The seed with the planner passes with the estimator
				// before these rules as well (every rule off, the
				// fastest request of each length: measured), so no rule
				// is what makes it pass.
				return
			}
			err := rt.check(t, c.off)
			t.Logf("without %s: %v", c.rule, err)
			require.Error(t, err, "without %s the round trip must miss or calibrate must refuse", c.rule)
		})
	}
}

type roundTripRun struct {
	c            roundTrip
	trace, dir   string
	truth, base  *schemas.Profile
	graph        sim.GraphConfig
	planner      schemas.PlannerConfig
	measured     *replay.Result
	kvLo, kvHigh float64
}

func newRoundTripRun(t *testing.T, c roundTrip) *roundTripRun {
	rt := &roundTripRun{c: c, trace: filepath.Join(t.TempDir(), "trace.jsonl"), dir: filepath.Join(t.TempDir(), "run")}
	_, err := synth.WriteFile(context.Background(), c.params(), rt.trace, synth.Options{})
	require.NoError(t, err)
	rt.truth, err = sim.LoadProfile(c.truth)
	require.NoError(t, err)
	rt.base, err = sim.LoadProfile(c.base)
	require.NoError(t, err)
	rt.graph, err = sim.ForGraph(c.graph, c.deployment)
	require.NoError(t, err)
	rt.planner = schemas.DefaultPlannerConfig()
	rt.planner.Mode = c.planner
	rt.measured = rt.replay(t, rt.truth, rt.dir)
	return rt
}

func (rt *roundTripRun) replay(t *testing.T, prof *schemas.Profile, out string) *replay.Result {
	res, err := replay.Run(context.Background(), replay.Options{TracePath: rt.trace, Profile: prof, Graph: rt.graph, Planner: rt.planner, OutDir: out})
	require.NoError(t, err)
	return res
}

// check calibrates the run with the rules off turned off and returns every
// way the result misses the truth by more than tolerance (or calibrate's
// refusal).
func (rt *roundTripRun) check(t *testing.T, off rules) error {
	dir := rt.dir
	cal, err := fromRun(context.Background(), dir, rt.base, off)
	if err != nil {
		return err
	}
	if len(cal.Undetermined) > 0 {
		return fmt.Errorf("refused: %v", cal.Undetermined)
	}
	t.Logf("%s: queueing by %s; prefill %s %v over %.0f..%.0f; decode %s %v over %.3f..%.3f; notes %q", dir, cal.QueueRule,
		cal.Prefill.Shape, cal.Prefill.Coeffs, cal.Prefill.MinX, cal.Prefill.MaxX, cal.Decode.Shape, cal.Decode.Coeffs, cal.Decode.MinX, cal.Decode.MaxX, cal.Notes)
	var errs []error
	within := func(what string, want, got float64) {
		if math.Abs(got/want-1) > tolerance {
			errs = append(errs, fmt.Errorf("%s: %.2f against the truth's %.2f (%+.1f%%)", what, got, want, (got/want-1)*100))
		}
	}
	for i := 0; i <= 10; i++ {
		isl := cal.Prefill.MinX + (cal.Prefill.MaxX-cal.Prefill.MinX)*float64(i)/10
		within(fmt.Sprintf("prefill_ms(%.0f)", isl), rt.truth.PrefillMS.At(isl), cal.Profile.PrefillMS.At(isl))
		u := cal.Decode.MinX + (cal.Decode.MaxX-cal.Decode.MinX)*float64(i)/10
		within(fmt.Sprintf("decode_step_ms(%.3f)", u), float64(rt.truth.DecodeStepTime(u))/1e6, float64(cal.Profile.DecodeStepTime(u))/1e6)
	}
	if rt.c.curvesOnly {
		return errors.Join(errs...)
	}
	again := rt.replay(t, &cal.Profile, "")
	m, a := rt.measured.Summary, again.Summary
	t.Logf("replay: TTFT %.1f vs %.1f ms, ITL %.2f vs %.2f ms, latency %.0f vs %.0f ms", m.TTFTMS.Avg, a.TTFTMS.Avg, m.ITLMS.Avg, a.ITLMS.Avg, m.RequestLatencyMS.Avg, a.RequestLatencyMS.Avg)
	within("replayed mean TTFT", m.TTFTMS.Avg, a.TTFTMS.Avg)
	within("replayed mean ITL", m.ITLMS.Avg, a.ITLMS.Avg)
	within("replayed mean request latency", m.RequestLatencyMS.Avg, a.RequestLatencyMS.Avg)
	return errors.Join(errs...)
}
