package planner

import (
	"fmt"
	"math"
	"time"

	"plannerbench/schemas"
)

// PerfModel is what the SLA planner knows of an engine's performance; the
// simulator's profiles implement it.
type PerfModel interface {
	PrefillTime(tokens int) time.Duration
	DecodeStepTime(util float64) time.Duration
	TransferTime(tokens int) time.Duration
	KVCapacityTokens() int
	MaxNumSequences() int
}

// historyLimit bounds the loads the SLA planner keeps.
const historyLimit = 64

// observedLoad derives the interval's request rate and mean prompt and
// output lengths from the cumulative counters of its first and last samples.
func observedLoad(w []schemas.Sample, prev []schemas.Load) schemas.Load {
	first, last := w[0], w[len(w)-1]
	dt := (last.At - first.At).Seconds()
	n := last.RequestsReceived - first.RequestsReceived
	l := schemas.Load{}
	if dt > 0 {
		l.RequestRate = n / dt
	}
	if n > 0 {
		l.ISL = (last.PromptTokensReceived - first.PromptTokensReceived) / n
		l.OSL = (last.OutputTokensRequested - first.OutputTokensRequested) / n
	} else if len(prev) > 0 {
		l.ISL, l.OSL = prev[len(prev)-1].ISL, prev[len(prev)-1].OSL
	}
	return l
}

// decideSLA predicts the next interval's load and sizes each role from the
// performance model so the predicted TTFT and ITL meet their targets:
//   - prefill: the fewest engines c whose queueing estimate keeps
//     TTFT = prefill + M/D/c wait + transfer + one decode step within target
//     (M/D/c wait taken as half the M/M/c wait, Sakasegawa's approximation);
//   - decode: the highest KV utilisation whose step time meets the ITL
//     target, and enough engines that Little's law's concurrency fits in it
//     (and in max_num_seqs);
//   - when both exceed the GPU budget, cut proportionally.
//
// Deltas are relative to the workers serving or starting.
func decideSLA(cfg schemas.PlannerConfig, perf PerfModel, st State, w []schemas.Sample, d schemas.Decision, _ actuator) (schemas.Decision, State) {
	if perf == nil {
		d.Reason = "sla planner has no performance model: no adjustment"
		return d, st
	}
	pred, err := NewPredictor(cfg)
	if err != nil {
		d.Reason = err.Error()
		return d, st
	}
	obs := observedLoad(w, st.History)
	st.History = append(st.History, obs)
	if len(st.History) > historyLimit {
		st.History = st.History[len(st.History)-historyLimit:]
	}
	series := func(f func(schemas.Load) float64) []float64 {
		out := make([]float64, len(st.History))
		for i, l := range st.History {
			out[i] = f(l)
		}
		return out
	}
	next := schemas.Load{
		RequestRate: pred.Predict(series(func(l schemas.Load) float64 { return l.RequestRate })),
		ISL:         pred.Predict(series(func(l schemas.Load) float64 { return l.ISL })),
		OSL:         pred.Predict(series(func(l schemas.Load) float64 { return l.OSL })),
	}
	in := &d.Inputs
	in.Observed, in.Predicted = obs, next
	last := w[len(w)-1]
	curP, curD := last.PrefillWorkers+last.PrefillStarting, last.DecodeWorkers+last.DecodeStarting
	if next.RequestRate <= 0 || next.ISL <= 0 {
		d.Prefill, d.Decode = curP, curD
		d.Reason = "no traffic observed: no adjustment"
		return d, st
	}
	util, step := decodeOperatingPoint(perf, cfg.ITL.D())
	p, ttft := sizePrefill(perf, next, step, cfg.TTFT.D(), cfg.MaxGPUBudget)
	dec := sizeDecode(perf, next, util, step)
	p, dec = max(p, cfg.MinEndpoint), max(dec, cfg.MinEndpoint)
	in.UnconstrainedP, in.UnconstrainedD = p, dec
	in.PredictedTTFTMS, in.PredictedITLMS = ms(ttft), ms(step)
	gpus := p*cfg.PrefillEngineNumGPU + dec*cfg.DecodeEngineNumGPU
	cut := ""
	if gpus > cfg.MaxGPUBudget {
		scale := float64(cfg.MaxGPUBudget) / float64(gpus)
		p = max(cfg.MinEndpoint, int(math.Floor(float64(p)*scale)))
		dec = max(cfg.MinEndpoint, (cfg.MaxGPUBudget-p*cfg.PrefillEngineNumGPU)/cfg.DecodeEngineNumGPU)
		cut = fmt.Sprintf("; %d GPUs over the budget of %d, cut proportionally", gpus, cfg.MaxGPUBudget)
	}
	in.GPUsBefore = curP*cfg.PrefillEngineNumGPU + curD*cfg.DecodeEngineNumGPU
	in.GPUsAfter = p*cfg.PrefillEngineNumGPU + dec*cfg.DecodeEngineNumGPU
	d.Prefill, d.Decode = p, dec
	d.DeltaPrefill, d.DeltaDecode = p-curP, dec-curD
	d.Reason = fmt.Sprintf("predicted %.2f req/s, ISL %.0f, OSL %.0f (observed %.2f req/s): %dp%dd for TTFT %.0f ms <= %s and ITL %.1f ms <= %s%s",
		next.RequestRate, next.ISL, next.OSL, obs.RequestRate, p, dec, ms(ttft), cfg.TTFT, ms(step), cfg.ITL, cut)
	return d, st
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// decodeOperatingPoint is the highest KV utilisation (in 1% steps, at most
// 95%) whose decode step meets the ITL target, and that step's time. When
// even an empty engine misses the target it returns 5%.
func decodeOperatingPoint(perf PerfModel, itl time.Duration) (float64, time.Duration) {
	best := -1.0
	for i := 0; i <= 95; i++ {
		u := float64(i) / 100
		if perf.DecodeStepTime(u) <= itl {
			best = u
		}
	}
	if best < 0.05 {
		best = 0.05
	}
	return best, perf.DecodeStepTime(best)
}

// sizePrefill returns the fewest prefill engines (up to limit) whose
// estimated TTFT meets target, and that estimate.
func sizePrefill(perf PerfModel, l schemas.Load, step, target time.Duration, limit int) (int, time.Duration) {
	isl := int(math.Ceil(l.ISL))
	service := perf.PrefillTime(isl).Seconds()
	fixed := perf.TransferTime(isl) + step
	var est time.Duration
	for c := 1; c <= max(limit, 1); c++ {
		rho := l.RequestRate * service / float64(c)
		if rho >= 1 {
			continue
		}
		wait := service / 2 * math.Pow(rho, math.Sqrt(2*float64(c+1))-1) / (float64(c) * (1 - rho))
		est = time.Duration((service+wait)*float64(time.Second)) + fixed
		if est <= target {
			return c, est
		}
	}
	c := max(1, int(math.Ceil(l.RequestRate*service))+1)
	return c, est
}

// sizeDecode returns the decode engines needed to hold the predicted
// concurrency at utilisation util.
func sizeDecode(perf PerfModel, l schemas.Load, util float64, step time.Duration) int {
	concurrency := l.RequestRate * l.OSL * step.Seconds() // Little's law
	tokens := concurrency * (l.ISL + l.OSL/2)             // mean context held
	byKV := tokens / (util * float64(perf.KVCapacityTokens()))
	bySeqs := concurrency / float64(perf.MaxNumSequences())
	return max(1, int(math.Ceil(math.Max(byKV, bySeqs))))
}
