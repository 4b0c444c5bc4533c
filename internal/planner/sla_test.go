package planner_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

func TestPredictorsOnKnownSeries(t *testing.T) {
	linear := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	constant := []float64{4, 4, 4, 4, 4}
	noisy := []float64{10, 12, 9, 11, 10, 11, 9, 10}
	require.Equal(t, 10.0, planner.Constant().Predict(linear))
	require.Equal(t, 9.0, planner.MovingAverage(3).Predict(linear))
	require.Equal(t, 10.0, planner.MovingAverage(4).Predict(noisy[4:]))
	require.InDelta(t, 11, planner.Holt(0.5, 0.5).Predict(linear), 1e-9, "Holt extrapolates a line exactly")
	require.InDelta(t, 4, planner.Holt(0.5, 0.5).Predict(constant), 1e-9)
	require.InDelta(t, 11, planner.Kalman(0.1, 1).Predict(linear), 0.5, "a constant-velocity filter follows a line")
	require.InDelta(t, 4, planner.Kalman(0.1, 1).Predict(constant), 1e-6)
	k := planner.Kalman(0.1, 1).Predict(noisy)
	require.Greater(t, k, 9.0)
	require.Less(t, k, 11.5, "and smooths noise")
	for _, p := range []planner.Predictor{planner.Constant(), planner.MovingAverage(3), planner.Holt(0.5, 0.5), planner.Kalman(0.1, 1)} {
		require.Equal(t, 7.0, p.Predict([]float64{7}), "one observation predicts itself")
		require.Equal(t, 0.0, p.Predict(nil))
	}
	for _, name := range []string{schemas.PredictorConstant, schemas.PredictorMovingAverage, schemas.PredictorHolt, schemas.PredictorKalman} {
		cfg := schemas.DefaultPlannerConfig()
		cfg.Predictor = name
		_, err := planner.NewPredictor(cfg)
		require.NoError(t, err)
	}
}

// slaRun feeds the SLA planner ten-second intervals whose request rate
// follows rate(t) and returns its prefill target after each interval.
func slaRun(t *testing.T, predictor string, rate func(float64) float64, intervals int) []int {
	prof, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	cfg := schemas.DefaultPlannerConfig()
	cfg.Mode, cfg.Predictor, cfg.MaxGPUBudget = schemas.PlannerSLA, predictor, 64
	var st planner.State
	var received float64
	p, d := 1, 1
	var targets []int
	for k := 0; k < intervals; k++ {
		var w []schemas.Sample
		for s := 0; s <= 10; s++ {
			at := float64(k*10 + s)
			if s > 0 {
				received += rate(at)
			}
			w = append(w, schemas.Sample{At: time.Duration(at * float64(time.Second)), PrefillWorkers: p, DecodeWorkers: d,
				RequestsReceived: received, PromptTokensReceived: received * 3000, OutputTokensRequested: received * 150})
		}
		var dec schemas.Decision
		dec, st = planner.Decide(cfg, prof, st, w)
		p, d = dec.Prefill, dec.Decode
		targets = append(targets, p)
	}
	return targets
}

func TestSLAPlannerScalesAheadOfRisingSinusoid(t *testing.T) {
	// The seed's sinusoid from its trough: 5 -> 20 req/s over 75 s.
	rate := func(at float64) float64 { return 12.5 + 7.5*math.Sin(2*math.Pi/150*at-math.Pi/2) }
	holt := slaRun(t, schemas.PredictorHolt, rate, 8)
	constant := slaRun(t, schemas.PredictorConstant, rate, 8)
	t.Logf("prefill targets: holt %v, constant %v", holt, constant)
	ahead := 0
	for i := range holt {
		require.GreaterOrEqual(t, holt[i], constant[i], "interval %d: the trend predictor never sizes below the last observation", i)
		if holt[i] > constant[i] {
			ahead++
		}
	}
	require.Greater(t, ahead, 2, "on the rising side it adds engines before the load arrives")

	// Sized for what comes next: after each interval the Holt target covers
	// the next interval's actual mean rate at least as often as a planner
	// that only repeats the last observation.
	prof, _ := sim.LoadProfile("h100-llama8b")
	service := prof.PrefillTime(3000).Seconds()
	covered := func(targets []int) int {
		n := 0
		for i, c := range targets[:len(targets)-1] {
			next := 0.0
			for s := 1; s <= 10; s++ {
				next += rate(float64((i+1)*10 + s))
			}
			if float64(c) > next/10*service {
				n++
			}
		}
		return n
	}
	require.Greater(t, covered(holt), covered(constant))
}

func TestSLAPlannerRespectsBudget(t *testing.T) {
	prof, _ := sim.LoadProfile("h100-llama8b")
	cfg := schemas.DefaultPlannerConfig()
	cfg.Mode, cfg.Predictor = schemas.PlannerSLA, schemas.PredictorConstant
	w := []schemas.Sample{
		{At: 0, PrefillWorkers: 1, DecodeWorkers: 1},
		{At: 10 * time.Second, PrefillWorkers: 1, DecodeWorkers: 1, RequestsReceived: 1000, PromptTokensReceived: 3e6, OutputTokensRequested: 150e3},
	}
	d, _ := planner.Decide(cfg, prof, planner.State{}, w)
	require.Equal(t, 8, d.Prefill+d.Decode, d.Reason)
	require.Greater(t, d.Inputs.UnconstrainedP+d.Inputs.UnconstrainedD, 8)
	require.Contains(t, d.Reason, "cut proportionally")
	require.GreaterOrEqual(t, d.Decode, 1)
	require.InDelta(t, 100, d.Inputs.Observed.RequestRate, 1e-9)
	require.InDelta(t, 3000, d.Inputs.Observed.ISL, 1e-9)
}
