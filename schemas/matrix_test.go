package schemas

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeedMatrixLoadsAndExpands(t *testing.T) {
	m, err := LoadMatrix("../examples/seed.yaml")
	require.NoError(t, err)
	require.Equal(t, "seed", m.Name)
	require.Equal(t, 600, m.Trace.Synth.TimeDuration)
	require.Equal(t, 512, m.Trace.Synth.BlockSize, "defaults fill what the file leaves out")
	require.True(t, m.Trace.Synth.IsGiven("request-rate-min"))
	require.False(t, m.Trace.Synth.IsGiven("isl-osl-ratio-period"))
	cases := m.Expand()
	require.Len(t, cases, 2)
	require.Equal(t, "planner", cases[0].ID)
	require.Equal(t, Deployment{1, 1}, cases[0].Deployment)
	require.Equal(t, PlannerLoad, cases[0].Planner.Mode)
	require.Equal(t, 10*time.Second, cases[0].Planner.AdjustmentInterval.D())
	require.Equal(t, 8, cases[0].Planner.MaxGPUBudget)
	require.Equal(t, "2p2d", cases[1].ID)
	require.Equal(t, PlannerNoop, cases[1].Planner.Mode)
	require.Equal(t, Deployment{2, 2}, cases[1].Deployment)
}

func TestExpandAxesAndRepeats(t *testing.T) {
	m, err := ParseMatrix([]byte(`
name: sweep
trace: {synth: {seed: 7}}
cases:
  - {name: planner, deployment: 1p1d}
  - {name: fixed, deployment: {prefill: 2, decode: 3}, planner: {mode: noop}}
axes:
  request_rate: [{min: 5, max: 20}, {min: 2.5, max: 10}]
repeat: 2
`), "sweep.yaml")
	require.NoError(t, err)
	cases := m.Expand()
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	require.Equal(t, []string{
		"planner_rr5-20_rep1", "fixed_rr5-20_rep1", "planner_rr2.5-10_rep1", "fixed_rr2.5-10_rep1",
		"planner_rr5-20_rep2", "fixed_rr5-20_rep2", "planner_rr2.5-10_rep2", "fixed_rr2.5-10_rep2",
	}, ids)
	require.Equal(t, 2.5, cases[2].Trace.Synth.RequestRateMin)
	require.Equal(t, uint64(7), cases[0].Trace.Synth.Seed)
	require.Equal(t, uint64(8), cases[4].Trace.Synth.Seed)
	require.Equal(t, 5.0, m.Trace.Synth.RequestRateMin, "expansion leaves the matrix alone")
	require.Equal(t, "2p3d", cases[1].Deployment.String())
}

func TestMalformedMatrixReportsEveryError(t *testing.T) {
	_, err := ParseMatrix([]byte(`name: "bad name"
time_scale: 0
backend: {kind: k8s}
trace:
  synth:
    time_duration: -1
    colour: blue
cases:
  - name: a
    deployment: 0p1d
    planner:
      mode: magic
      adjustment_interval: 0s
      typo_field: 1
  - name: a
    deployment: 3x
    planner: {max_gpu_budget: 1, metric_pulling_interval: soon}
axes:
  request_rate: [{min: 5, max: 1}]
repeat: 0
`), "bad.yaml")
	var fe FieldErrors
	require.True(t, errors.As(err, &fe), "got %v", err)
	msg := err.Error()
	for _, want := range []string{
		"bad.yaml:1: name: must be letters",
		"bad.yaml:2: time_scale: must be > 0",
		"bad.yaml:3: backend.kind: must be sim, endpoint or dynamo",
		"bad.yaml:6: trace.synth.time_duration: must be > 0",
		"bad.yaml:7: field colour not found in trace.synth",
		"bad.yaml:10: cases[0].deployment.prefill: must be >= 1",
		"bad.yaml:12: cases[0].planner.mode: must be one of noop, load, load-fpm, sla, external",
		"bad.yaml:13: cases[0].planner.adjustment_interval: must be > 0",
		"bad.yaml:14: field typo_field not found in planner",
		"bad.yaml:15: cases[1].name: \"a\" is already the name of cases[0]",
		"bad.yaml:16: not a deployment: \"3x\"",
		"bad.yaml:17: not a duration: \"soon\"",
		"bad.yaml:19: axes.request_rate[0].max: must be >= min",
		"bad.yaml:20: repeat: must be >= 1",
	} {
		require.Contains(t, msg, want)
	}
	require.GreaterOrEqual(t, len(fe), 14, msg)
}

// node_lost_after reaches every case; unset, cases carry none (and their
// JSON is what it was before the field existed).
func TestNodeLostAfter(t *testing.T) {
	m, err := ParseMatrix([]byte("name: n\nnode_lost_after: 15s\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}, {name: b, deployment: 2p2d}]\n"), "x.yaml")
	require.NoError(t, err)
	for _, c := range m.Expand() {
		require.Equal(t, 15*time.Second, c.NodeLostAfter.D())
	}
	m, err = ParseMatrix([]byte("name: n\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}]\n"), "x.yaml")
	require.NoError(t, err)
	data, err := json.Marshal(m.Expand()[0])
	require.NoError(t, err)
	require.NotContains(t, string(data), "node_lost_after")
}

func TestMatrixSyntaxAndShapeErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"syntax", "name: [unclosed\n", "x.yaml:"},
		{"empty", "", "x.yaml: empty matrix file"},
		{"no trace no cases", "name: n\n", "trace: needs either synth"},
		{"both traces", "name: n\ntrace: {path: a.jsonl, synth: {}}\ncases: [{name: a, deployment: 1p1d}]\n", "trace: has both synth and path"},
		{"axis on recorded trace", "name: n\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}]\naxes: {request_rate: [{min: 1, max: 2}]}\n", "axes.request_rate[0]: a request-rate axis needs trace.synth"},
		{"budget", "name: n\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 5p5d}]\n", "cases[0].planner.max_gpu_budget: must be >= the 10 GPUs"},
		{"endpoint without url", "name: n\nbackend: {kind: endpoint}\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d, planner: {mode: noop}}]\n", "backend.url: must name the OpenAI-compatible base URL"},
		{"endpoint without hook needs noop", "name: n\nbackend: {kind: endpoint, url: http://h:8000}\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}]\n", "cases[0].planner.mode: must be noop: backend endpoint has no scale_command"},
		{"endpoint dialect", "name: n\nbackend: {kind: endpoint, url: http://h:8000, metrics_dialect: statsd}\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d, planner: {mode: noop}}]\n", "backend.metrics_dialect: must be dynamo or plannerbench"},
		{"node lost too soon", "name: n\nnode_lost_after: 14s\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}]\n", "node_lost_after: must be at least 15s"},
		{"sim graph", "name: n\nbackend: {kind: sim, profile: p, graph: disagg_routr}\ntrace: {path: a.jsonl}\ncases: [{name: a, deployment: 1p1d}]\n", "backend.graph: must be one of planner_benchmark, disagg_router, always_remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMatrix([]byte(tc.in), "x.yaml")
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), tc.want), "got %v", err)
		})
	}
}

func FuzzParseMatrix(f *testing.F) {
	f.Add([]byte("name: n\ntrace: {synth: {}}\ncases: [{name: a, deployment: 1p1d}]\n"))
	f.Add([]byte("name: n\ncases: [{deployment: {prefill: 1}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMatrix(data, "fuzz.yaml")
		if err == nil {
			if errs := m.Validate(); len(errs) > 0 {
				t.Fatalf("accepted a matrix that does not validate: %v", errs)
			}
			if len(m.Expand()) == 0 {
				t.Fatal("a valid matrix expanded to no case")
			}
		}
	})
}

func TestApplyOverrides(t *testing.T) {
	data, err := ApplyOverrides([]byte(`name: seed
time_scale: 1
trace: {synth: {time_duration: 600}}
cases:
  - {name: planner, deployment: 1p1d}
  - {name: base, deployment: 2p2d, planner: {mode: noop}}
`), []string{"time_scale=20", "trace.synth.request_rate_max=30", "cases[1].planner.mode=sla", "cases[0].deployment={prefill: 2, decode: 1}", "backend.profile=h100-llama8b-2026"})
	require.NoError(t, err)
	m, err := ParseMatrix(data, "seed.yaml")
	require.NoError(t, err)
	require.Equal(t, 20.0, m.TimeScale)
	require.Equal(t, 30.0, m.Trace.Synth.RequestRateMax)
	require.Equal(t, PlannerSLA, m.Cases[1].Planner.Mode)
	require.Equal(t, Deployment{2, 1}, m.Cases[0].Deployment)
	require.Equal(t, "h100-llama8b-2026", m.Backend.Profile)
	require.Equal(t, BackendSim, m.Backend.Kind, "a partial override keeps the defaults")

	for _, bad := range []string{"time_scale", "cases[5].name=x", "name.x=1", "=3"} {
		_, err := ApplyOverrides([]byte("name: n\ncases: [{name: a}]\n"), []string{bad})
		require.Error(t, err, bad)
	}
	data, err = ApplyOverrides([]byte("name: n\n"), []string{"time_scale=-1"})
	require.NoError(t, err)
	_, err = ParseMatrix(data, "x.yaml")
	require.ErrorContains(t, err, "time_scale: must be > 0", "overrides are validated like the file")
}
