// Package synth generates sinusoidal-load traces with the semantics of
// Dynamo's benchmarks/sin_load_generator/sin_synth.py (README, Traces), streaming
// rows to a sink instead of holding the trace in memory.
package synth

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"plannerbench/schemas"
)

// Sink receives generated records in time order. The record is reused after
// Write returns.
type Sink interface {
	Write(rec *schemas.TraceRecord) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(rec *schemas.TraceRecord) error

// Write calls f(rec).
func (f SinkFunc) Write(rec *schemas.TraceRecord) error { return f(rec) }

// Options tunes a generation run.
type Options struct {
	// Progress, when set, is called after each process interval with the
	// number of intervals done and in total.
	Progress func(done, total int)
}

// Result summarises a generation run.
type Result struct {
	Requests      int `json:"requests"`
	UniqueHashIDs int `json:"unique_hash_ids"`
}

// seedStream is the PCG stream selector; any constant works, it only has to
// stay fixed so a seed always yields the same bytes.
const seedStream = 0x706c616e6e657262 // "plannerb"

// Sinusoid returns (min+max)/2 + (max-min)/2 * sin(2π/period * t - π/2), the
// reference's curve, which starts at its minimum at t = 0. The operations are
// ordered as in the reference so values agree to the last bit.
func Sinusoid(lo, hi, period, t float64) float64 {
	return (lo+hi)/2 + (hi-lo)/2*math.Sin(2*math.Pi/period*t-math.Pi/2)
}

// SinusoidFromMean is the planner guide's curve (its sin_synth.py at
// ai-dynamo/dynamo 7d5d6f8c): (min+max)/2 + (max-min)/2 * sin(2π/period * t),
// which starts at its mean and rises.
func SinusoidFromMean(lo, hi, period, t float64) float64 {
	return (lo+hi)/2 + (hi-lo)/2*math.Sin(2*math.Pi/period*t)
}

// curve is the sinusoid of p's phase.
func curve(p schemas.SynthParams) func(lo, hi, period, t float64) float64 {
	if p.Phase == schemas.PhaseMean {
		return SinusoidFromMean
	}
	return Sinusoid
}

// Generate produces the trace described by p and writes every row to sink.
// For each process interval [t, t+Δ) it draws N ~ Poisson(rate(t)·Δ), spaces
// the N requests evenly at t + Δ·k/N, picks class 1 (isl1/osl1) with
// probability ratio(t_req), and draws ceil(isl/block_size) raw blocks in
// [0, total_blocks] that a RollingHasher turns into hash ids.
func Generate(ctx context.Context, p schemas.SynthParams, sink Sink, opts Options) (Result, error) {
	if errs := p.Validate(""); len(errs) > 0 {
		return Result{}, fmt.Errorf("invalid synthesis parameters: %w", errs)
	}
	src := rand.NewPCG(p.Seed, seedStream)
	rng := rand.New(src)
	hasher := NewRollingHasherSize(expectedRequests(p), (max(p.ISL1, p.ISL2)+p.BlockSize-1)/p.BlockSize)
	intervals := (p.TimeDuration + p.ProcessInterval - 1) / p.ProcessInterval
	raw := make([]uint32, 0, 64)
	rec := schemas.TraceRecord{HashIDs: make([]int64, 0, 64)}
	var res Result
	sin := curve(p)
	for i := 0; i < intervals; i++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("synthesis stopped at interval %d of %d: %w", i, intervals, err)
		}
		t := i * p.ProcessInterval
		te := min(t+p.ProcessInterval, p.TimeDuration)
		rate := sin(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(t))
		n := poisson(rate*float64(te-t), src)
		for k := 0; k < n; k++ {
			tReq := float64(t) + float64((te-t)*k)/float64(n)
			isl, osl := p.ISL2, p.OSL2
			if rng.Float64() < sin(p.ISLOSLRatioMin, p.ISLOSLRatioMax, p.ISLOSLRatioPeriod, tReq) {
				isl, osl = p.ISL1, p.OSL1
			}
			raw = raw[:0]
			for b := (isl + p.BlockSize - 1) / p.BlockSize; b > 0; b-- {
				raw = append(raw, uint32(rng.IntN(p.TotalBlocks+1)))
			}
			rec.Timestamp = int64(tReq * 1000)
			rec.InputLength, rec.OutputLength = isl, osl
			rec.HashIDs = hasher.Hash(raw, rec.HashIDs[:0])
			if err := sink.Write(&rec); err != nil {
				return res, fmt.Errorf("write request %d: %w", res.Requests, err)
			}
			res.Requests++
		}
		if opts.Progress != nil {
			opts.Progress(i+1, intervals)
		}
	}
	res.UniqueHashIDs = hasher.Len()
	return res, nil
}

// expectedRequests is the mean request count, Σ rate(t)·Δ, with 5% headroom
// for the Poisson spread; it only sizes buffers.
func expectedRequests(p schemas.SynthParams) int {
	var sum float64
	for t := 0; t < p.TimeDuration; t += p.ProcessInterval {
		te := min(t+p.ProcessInterval, p.TimeDuration)
		sum += max(0, curve(p)(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(t))*float64(te-t))
	}
	return int(min(sum*1.05+64, 1<<28))
}

func poisson(lambda float64, src rand.Source) int {
	if !(lambda > 0) {
		return 0
	}
	return int(distuv.Poisson{Lambda: lambda, Src: src}.Rand())
}
