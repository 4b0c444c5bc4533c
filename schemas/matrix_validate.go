package schemas

import (
	"regexp"
	"slices"
	"strings"
)

// namePattern keeps names usable in workflow IDs, folders and URLs.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate returns every problem in the matrix at once, each naming its
// field path.
func (m *Matrix) Validate() FieldErrors {
	l := newErrorList()
	l.check(namePattern.MatchString(m.Name), "name", "must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got %q", m.Name)
	l.check(m.Model != "", "model", "must not be empty")
	m.Backend.validate(l.at("backend"))
	l.check(finite(m.TimeScale) && m.TimeScale > 0, "time_scale", "must be > 0, got %v", m.TimeScale)
	l.check(m.Repeat >= 1, "repeat", "must be >= 1, got %d", m.Repeat)
	l.check(m.MaxParallel >= 1, "max_parallel", "must be >= 1, got %d", m.MaxParallel)
	l.check(m.NodeLostAfter == 0 || m.NodeLostAfter.D() >= MinNodeLostAfter, "node_lost_after", "must be at least %s (a busy node's queue can wait that long), got %s", MinNodeLostAfter, m.NodeLostAfter)
	l.check(m.SLO.TTFT >= 0, "slo.ttft", "must be >= 0, got %s", m.SLO.TTFT)
	l.check(m.SLO.ITL >= 0, "slo.itl", "must be >= 0, got %s", m.SLO.ITL)

	t := l.at("trace")
	switch {
	case m.Trace.Synth == nil && m.Trace.Path == "":
		t.add("", "needs either synth (generation parameters) or path (an existing trace)")
	case m.Trace.Synth != nil && m.Trace.Path != "":
		t.add("", "has both synth and path; keep one")
	case m.Trace.Synth != nil:
		m.Trace.Synth.validate(t.at("synth"))
	}

	if len(m.Cases) == 0 {
		l.add("cases", "must list at least one case")
	}
	seen := map[string]int{}
	for i, c := range m.Cases {
		cl := l.at("cases").index(i)
		if !namePattern.MatchString(c.Name) {
			cl.add("name", "must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got %q", c.Name)
		} else if j, dup := seen[c.Name]; dup {
			cl.add("name", "%q is already the name of cases[%d]", c.Name, j)
		} else {
			seen[c.Name] = i
		}
		cl.check(c.Deployment.Prefill >= 1, "deployment.prefill", "must be >= 1, got %d", c.Deployment.Prefill)
		cl.check(c.Deployment.Decode >= 1, "deployment.decode", "must be >= 1, got %d", c.Deployment.Decode)
		c.Planner.validate(cl.at("planner"), c.Deployment)
		if m.Backend.Kind == BackendEndpoint && m.Backend.ScaleCommand == "" && c.Planner.Mode != PlannerNoop {
			cl.add("planner.mode", "must be noop: backend endpoint has no scale_command, so nothing can scale it (got %q)", c.Planner.Mode)
		}
	}

	for i, r := range m.Axes.RequestRate {
		al := l.at("axes.request_rate").index(i)
		if m.Trace.Synth == nil {
			al.add("", "a request-rate axis needs trace.synth; a recorded trace has fixed rates")
		}
		al.check(finite(r.Min) && r.Min >= 0, "min", "must be >= 0, got %v", r.Min)
		al.check(finite(r.Max) && r.Max >= r.Min, "max", "must be >= min (%v), got %v", r.Min, r.Max)
	}
	return *l.errs
}

func (b Backend) validate(l errorList) {
	switch b.Kind {
	case BackendSim:
		l.check(b.Profile != "", "profile", "must name a simulator profile such as %s", DefaultProfile)
		l.check(b.Graph == "" || slices.Contains(SimGraphs, b.Graph) || b.Graph == "disagg" || b.Graph == "disagg_remote", "graph",
			"must be one of %s (disagg and disagg_remote, earlier names, still work), got %q", strings.Join(SimGraphs, ", "), b.Graph)
	case BackendEndpoint:
		l.check(b.URL != "", "url", "must name the OpenAI-compatible base URL of the endpoint (without /v1)")
		l.check(b.MetricsDialect == "" || b.MetricsDialect == "dynamo" || b.MetricsDialect == "plannerbench", "metrics_dialect",
			"must be dynamo or plannerbench, got %q", b.MetricsDialect)
	case BackendDynamo:
		l.check((b.Manifest == "") != (b.DGD == ""), "manifest", "give exactly one of manifest (a DynamoGraphDeployment file) and dgd (namespace/name of an existing one)")
		l.check(b.DGD == "" || strings.Count(b.DGD, "/") == 1, "dgd", "must be namespace/name, got %q", b.DGD)
		l.check(b.URL != "", "url", "must name the graph's frontend (an OpenAI-compatible base URL, or a Service's in-cluster URL)")
		l.check(b.MetricsDialect == "" || b.MetricsDialect == "dynamo" || b.MetricsDialect == "plannerbench", "metrics_dialect",
			"must be dynamo or plannerbench, got %q", b.MetricsDialect)
	default:
		l.add("kind", "must be sim, endpoint or dynamo, got %q", b.Kind)
	}
}
