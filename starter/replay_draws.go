package main

import (
	"context"
	"fmt"
	"io"

	"plannerbench/virtual/replay"
)

// drawResult is one replay of a draw of a live case's timing.
type drawResult struct {
	Seed                uint64  `json:"seed"`
	AvgRequestLatencyMS float64 `json:"avg_request_latency_ms"`
	AvgNumGPU           float64 `json:"avg_num_gpu"`
}

// replayDraws replays opts once for each of n draws of timing (seeds
// 1..n), writing no files.
func replayDraws(ctx context.Context, opts replay.Options, timing *replay.Timing, n int) ([]drawResult, error) {
	var out []drawResult
	opts.OutDir, opts.Case = "", nil
	for seed := uint64(1); seed <= uint64(n); seed++ {
		opts.Timing = timing.Draw(seed)
		res, err := replay.Run(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("replay of draw %d: %w", seed, err)
		}
		out = append(out, drawResult{Seed: seed, AvgRequestLatencyMS: res.Summary.AvgRequestLatencyMS, AvgNumGPU: res.Summary.AvgNumGPU})
	}
	return out, nil
}

// writeDrawSpread prints the lowest and highest average latency and
// num_gpu of the draws.
func writeDrawSpread(w io.Writer, draws []drawResult) {
	lo, hi := draws[0], draws[0]
	gLo, gHi := draws[0].AvgNumGPU, draws[0].AvgNumGPU
	for _, d := range draws[1:] {
		if d.AvgRequestLatencyMS < lo.AvgRequestLatencyMS {
			lo = d
		}
		if d.AvgRequestLatencyMS > hi.AvgRequestLatencyMS {
			hi = d
		}
		gLo, gHi = min(gLo, d.AvgNumGPU), max(gHi, d.AvgNumGPU)
	}
	fmt.Fprintf(w, "%d draws of when the engine took each request: avg latency %.1f..%.1f ms (seeds %d, %d), avg num_gpu %.3f..%.3f\n",
		len(draws), lo.AvgRequestLatencyMS, hi.AvgRequestLatencyMS, lo.Seed, hi.Seed, gLo, gHi)
}
