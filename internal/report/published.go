package report

import (
	"path/filepath"
	"strings"

	"plannerbench/schemas"
)

// Published is a result someone else measured, shown beside a matrix's
// cases as a reference and never mixed with them.
type Published struct {
	Source     string  `json:"source"`
	Case       string  `json:"case"`
	Deployment string  `json:"deployment"`
	Planner    string  `json:"planner"`
	AvgLatency float64 `json:"avg_latency_s"`
	// GPUSeconds is num_gpu (ready endpoints) integrated over the
	// planner's log, as the guide's bar chart counts it.
	GPUSeconds float64 `json:"gpu_seconds"`
	Note       string  `json:"note"`
}

// seedPublished are the Dynamo planner guide's figures
// (ai-dynamo/dynamo docs/guides/planner_benchmark/images/planner_perf.png
// @7d5d6f8c: average sequence latency and GPU·s of each run).
var seedPublished = []Published{
	{Source: "published, Dynamo guide", Case: "2p2d", Deployment: "2p2d", Planner: "noop", AvgLatency: 18.5, GPUSeconds: 2756,
		Note: "not measured here; GPU·s over the planner's log (about 689 s), not the load alone"},
	{Source: "published, Dynamo guide", Case: "planner", Deployment: "1p1d", Planner: "load", AvgLatency: 12.4, GPUSeconds: 2546,
		Note: "not measured here; 1.5x faster, 7.4% fewer GPU·s than 2p2d"},
}

// seedTraceName is how the reference generator names the seed's trace
// (plannerbench's matrices append the seed and phase).
const seedTraceName = "sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10"

// PublishedFor returns the published reference of a matrix whose trace is
// the seed's recipe (600 s, 5 -> 20 req/s, period 150 s, ISL/OSL
// 3000/150, or a file the reference named so), none otherwise.
func PublishedFor(cases []Case) []Published {
	for _, c := range cases {
		if isSeedTrace(c.Spec.Trace.Synth) || strings.HasPrefix(filepath.Base(c.Spec.Trace.Path), seedTraceName) {
			return seedPublished
		}
	}
	return nil
}

func isSeedTrace(p *schemas.SynthParams) bool {
	return p != nil && p.TimeDuration == 600 && p.RequestRateMin == 5 && p.RequestRateMax == 20 && p.RequestRatePeriod == 150 &&
		p.ISL1 == 3000 && p.OSL1 == 150 && p.ISL2 == 3000 && p.OSL2 == 150
}
