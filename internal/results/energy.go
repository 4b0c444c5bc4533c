package results

import (
	"sort"

	"plannerbench/schemas"
)

// Energy is a case's GPU energy as its telemetry recorded it.
type Energy struct {
	// EnergyJ sums, over every GPU sampled, the rise of its cumulative
	// energy counter between its first and last sample (joules; a
	// modelled simulator GPU counts in trace time).
	EnergyJ float64 `json:"energy_j"`
	// PerOutputTokenJ is EnergyJ over the output tokens of the case's
	// completed requests.
	PerOutputTokenJ float64 `json:"energy_per_output_token_j"`
	// GPUs is how many GPUs were sampled; Source says how ("nvml",
	// "dcgm", or "modelled" for the simulator's power model).
	GPUs   int    `json:"gpus"`
	Source string `json:"source"`
}

// EnergyOf computes a case's energy from its GPU samples and request
// records; nil when there are no samples.
func EnergyOf(samples []schemas.GPUSample, recs []schemas.RequestRecord) *Energy {
	if len(samples) == 0 {
		return nil
	}
	type span struct {
		first, last schemas.GPUSample
		seen        bool
	}
	spans := map[string]*span{}
	sources := map[string]bool{}
	for _, s := range samples {
		key := s.Node + "/" + s.UUID
		sp := spans[key]
		if sp == nil {
			sp = &span{}
			spans[key] = sp
		}
		if !sp.seen || s.At.Before(sp.first.At) {
			sp.first = s
		}
		if !sp.seen || !s.At.Before(sp.last.At) {
			sp.last = s
		}
		sp.seen = true
		sources[s.Source] = true
	}
	e := &Energy{GPUs: len(spans)}
	keys := make([]string, 0, len(spans))
	for k := range spans {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed order: the sum must not depend on map order
	for _, k := range keys {
		if d := spans[k].last.EnergyJ - spans[k].first.EnergyJ; d > 0 {
			e.EnergyJ += d
		}
	}
	var names []string
	for s := range sources {
		names = append(names, s)
	}
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			e.Source += "+"
		}
		e.Source += n
	}
	var tokens float64
	for _, r := range recs {
		if r.Status == schemas.StatusOK {
			tokens += float64(r.CompletionTokens)
		}
	}
	if tokens > 0 {
		e.PerOutputTokenJ = e.EnergyJ / tokens
	}
	return e
}
