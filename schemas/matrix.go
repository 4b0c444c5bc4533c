package schemas

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Backends.
const (
	BackendSim      = "sim"      // the built-in simulated disaggregated engine
	BackendDynamo   = "dynamo"   // a Dynamo graph on Kubernetes (DynamoGraphDeployment)
	BackendEndpoint = "endpoint" // an OpenAI-compatible URL plannerbench does not start
)

// Defaults a matrix file may leave out.
const (
	DefaultModel   = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
	DefaultProfile = "h100-llama8b-profiled"
)

// Matrix is a benchmark matrix file: cases × request-rate axes × repeats, all
// replaying one trace recipe against one backend.
type Matrix struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description,omitempty" json:"description,omitempty"`
	Model       string     `yaml:"model" json:"model"`
	Backend     Backend    `yaml:"backend" json:"backend"`
	TimeScale   float64    `yaml:"time_scale" json:"time_scale"`
	Trace       TraceSpec  `yaml:"trace" json:"trace"`
	Cases       []CaseSpec `yaml:"cases" json:"cases"`
	Axes        Axes       `yaml:"axes,omitempty" json:"axes,omitempty"`
	Repeat      int        `yaml:"repeat" json:"repeat"`
	MaxParallel int        `yaml:"max_parallel" json:"max_parallel"`
	// NodeLostAfter is how long a node's task queue may go unpolled before
	// its case moves to another node (0: DefaultNodeLostAfter).
	NodeLostAfter Duration `yaml:"node_lost_after,omitempty" json:"node_lost_after,omitempty"`
	SLO           SLO      `yaml:"slo" json:"slo"`
}

// DefaultNodeLostAfter is how long a node's task queue may go unpolled
// before its case moves to another node, unless a matrix says
// (node_lost_after); MinNodeLostAfter is the least a matrix may say: a
// node's activities heartbeat every 10 s at most.
const (
	DefaultNodeLostAfter = 2 * time.Minute
	MinNodeLostAfter     = 15 * time.Second
)

// SimGraphs are the simulator's shipped graphs, the default first
// (deploy/configs; deploy/sim.Graphs names the same).
var SimGraphs = []string{"planner_benchmark", "disagg_router", "always_remote"}

// Backend says where the system under test comes from.
type Backend struct {
	Kind string `yaml:"kind" json:"kind"`
	// Profile names the simulator's performance profile (sim only).
	Profile string `yaml:"profile,omitempty" json:"profile,omitempty"`
	// Graph names the simulator's graph (sim only), one of SimGraphs:
	// "planner_benchmark" (the seed's, the default), "disagg_router" or
	// "always_remote".
	Graph string `yaml:"graph,omitempty" json:"graph,omitempty"`
	// Manifest is a DynamoGraphDeployment YAML file to create (dynamo),
	// or DGD names an existing one as namespace/name, whose replicas the
	// case sets and restores afterwards.
	Manifest string `yaml:"manifest,omitempty" json:"manifest,omitempty"`
	DGD      string `yaml:"dgd,omitempty" json:"dgd,omitempty"`
	// Namespace for a manifest without one (dynamo; default "default").
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	// Prefill and Decode name the graph's prefill and decode services when
	// their types do not say (dynamo).
	Prefill string `yaml:"prefill,omitempty" json:"prefill,omitempty"`
	Decode  string `yaml:"decode,omitempty" json:"decode,omitempty"`
	// Kubeconfig is the path of a kubeconfig file (dynamo); empty uses the
	// in-cluster config or $KUBECONFIG/~/.kube/config. Its content is never
	// read into a matrix, history or results.
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	// URL of an already running OpenAI-compatible front end (dynamo,
	// endpoint).
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Metrics are the Prometheus endpoints a real deployment is observed
	// through (endpoint), read with MetricsDialect's names: "dynamo" (the
	// default: dynamo_frontend_*, dynamo_component_kvstats_*, vllm:*) or
	// "plannerbench" (the simulator's own).
	Metrics        []string `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	MetricsDialect string   `yaml:"metrics_dialect,omitempty" json:"metrics_dialect,omitempty"`
	// ScaleCommand is a user's hook that scales an endpoint (run with sh -c,
	// the targets in $PLANNERBENCH_PREFILL and $PLANNERBENCH_DECODE); without
	// it an endpoint cannot be scaled and only the noop planner may run.
	ScaleCommand string `yaml:"scale_command,omitempty" json:"scale_command,omitempty"`
	// DCGM lists DCGM exporters' /metrics URLs for the deployment's GPUs
	// (endpoint); without them GPUs are sampled through NVML on the node.
	DCGM []string `yaml:"dcgm,omitempty" json:"dcgm,omitempty"`
	// APIKeyEnv names the environment variable (on the workers) that holds
	// the endpoint's API key: the key itself is never in a matrix, in
	// Temporal's history, in logs or in results.
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
}

// TraceSpec is either synthesis parameters or a path to an existing trace.
type TraceSpec struct {
	Synth *SynthParams `yaml:"synth,omitempty" json:"synth,omitempty"`
	Path  string       `yaml:"path,omitempty" json:"path,omitempty"`
}

// CaseSpec is one deployment-and-planner pairing of a matrix.
type CaseSpec struct {
	Name       string        `yaml:"name" json:"name"`
	Deployment Deployment    `yaml:"deployment" json:"deployment"`
	Planner    PlannerConfig `yaml:"planner" json:"planner"`

	// decodeErr holds this case's decoding problems. The yaml package drops
	// a sequence element whose decoding fails, which would hide the case from
	// validation; so the case keeps its errors and ParseMatrix reports them.
	decodeErr error
}

// UnmarshalYAML gives an omitted planner section its defaults.
func (c *CaseSpec) UnmarshalYAML(node *yaml.Node) error {
	type plain CaseSpec
	v := plain{Planner: DefaultPlannerConfig()}
	err := decodeKnown(node, &v, "case")
	*c = CaseSpec(v)
	c.decodeErr = err
	return nil
}

// Axes multiply the cases. Request-rate ranges replace the synthesized
// trace's request_rate_min and request_rate_max.
type Axes struct {
	RequestRate []RateRange `yaml:"request_rate,omitempty" json:"request_rate,omitempty"`
}

// RateRange is a request-rate sinusoid's bounds in requests per second.
type RateRange struct {
	Min float64 `yaml:"min" json:"min"`
	Max float64 `yaml:"max" json:"max"`
}

// SLO holds the per-request targets goodput counts against; zero disables one.
type SLO struct {
	TTFT Duration `yaml:"ttft" json:"ttft"`
	ITL  Duration `yaml:"itl" json:"itl"`
}

// defaultMatrix is what a file starts from before its fields are decoded.
func defaultMatrix() Matrix {
	return Matrix{
		Model:       DefaultModel,
		Backend:     Backend{Kind: BackendSim, Profile: DefaultProfile},
		TimeScale:   1,
		Repeat:      1,
		MaxParallel: 1,
		SLO:         SLO{TTFT: Duration(500 * time.Millisecond), ITL: Duration(50 * time.Millisecond)},
	}
}
