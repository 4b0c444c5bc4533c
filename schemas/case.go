package schemas

import (
	"fmt"
	"strconv"
)

// Case is one concrete benchmark run expanded from a matrix: everything a
// BenchmarkWorkflow needs, with defaults applied.
type Case struct {
	// ID is stable and readable, e.g. "planner_rr5-20" or "2p2d_rr5-20_rep2".
	ID         string        `json:"id"`
	Matrix     string        `json:"matrix"`
	Name       string        `json:"name"`
	Model      string        `json:"model"`
	Backend    Backend       `json:"backend"`
	TimeScale  float64       `json:"time_scale"`
	Trace      TraceSpec     `json:"trace"`
	Deployment Deployment    `json:"deployment"`
	Planner    PlannerConfig `json:"planner"`
	// Repeat is 1-based; repeat k of a synthesized trace uses seed + k - 1 so
	// repeats sample independent traces while all cases of one repeat share
	// the same trace.
	Repeat int `json:"repeat"`
	SLO    SLO `json:"slo"`
	// NodeLostAfter is the matrix's node_lost_after (0: the default).
	NodeLostAfter Duration `json:"node_lost_after,omitempty"`
}

// Expand returns the matrix's cases in a stable order: repeat, then rate
// axis, then case as listed.
func (m *Matrix) Expand() []Case {
	rates := m.Axes.RequestRate
	if len(rates) == 0 {
		rates = []RateRange{{}} // one pass, trace as written
	}
	var out []Case
	for rep := 1; rep <= m.Repeat; rep++ {
		for _, r := range rates {
			for _, cs := range m.Cases {
				c := Case{
					ID: cs.Name, Matrix: m.Name, Name: cs.Name, Model: m.Model, Backend: m.Backend,
					TimeScale: m.TimeScale, Deployment: cs.Deployment, Planner: cs.Planner, Repeat: rep, SLO: m.SLO,
					Trace: TraceSpec{Path: m.Trace.Path}, NodeLostAfter: m.NodeLostAfter,
				}
				if m.Trace.Synth != nil {
					p := *m.Trace.Synth
					p.Given = append([]string(nil), p.Given...)
					p.Seed += uint64(rep - 1)
					if len(m.Axes.RequestRate) > 0 {
						p.RequestRateMin, p.RequestRateMax = r.Min, r.Max
						p.MarkGiven("request-rate-min")
						p.MarkGiven("request-rate-max")
						c.ID += "_rr" + shortFloat(r.Min) + "-" + shortFloat(r.Max)
					}
					c.Trace.Synth = &p
				}
				if m.Repeat > 1 {
					c.ID += fmt.Sprintf("_rep%d", rep)
				}
				out = append(out, c)
			}
		}
	}
	return out
}

func shortFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
