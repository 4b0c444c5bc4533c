package schemas

import "time"

// PlannerExternal runs a planner plannerbench does not implement: Dynamo's
// own planner through its VirtualConnector (protocol dynamo-virtual), or any
// program answering plannerbench's HTTP protocol (protocol http).
const PlannerExternal = "external"

// External planner protocols.
const (
	// ProtocolHTTP: each adjustment interval plannerbench POSTs the window
	// (schemas/external_planner_http.schema.json) and scales to the answer.
	ProtocolHTTP = "http"
	// ProtocolDynamoVirtual: the planner writes its decision to etcd under
	// v1/<namespace>/planner/ and plannerbench, playing the environment,
	// scales and acknowledges it (Dynamo's VirtualConnector).
	ProtocolDynamoVirtual = "dynamo-virtual"
)

// PrometheusStart asks a case to start its own Prometheus server.
const PrometheusStart = "start"

// DefaultExternalTimeout bounds one HTTP planner call.
const DefaultExternalTimeout = 5 * time.Second

// ExternalPlanner configures an external planner (mode external).
type ExternalPlanner struct {
	Protocol string `yaml:"protocol" json:"protocol"`
	// URL is where the HTTP protocol POSTs each window.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Timeout bounds one HTTP call (default 5 s); a call that outlives it is
	// a bad answer: recorded, no change.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Command starts the planner's process with the case (sh -c, in the case
	// folder, its own process group, log in planner.log) and stops it with
	// the deployment. It sees PLANNERBENCH_URL (the deployment's frontend),
	// PLANNERBENCH_METRICS, and for dynamo-virtual ETCD_ENDPOINTS,
	// PLANNERBENCH_NAMESPACE and PLANNERBENCH_PROMETHEUS.
	Command string `yaml:"command,omitempty" json:"command,omitempty"`
	// Namespace is the Dynamo namespace of the etcd keys (default dynamo).
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	// Etcd is an etcd endpoint to use; empty starts an embedded one a case.
	Etcd string `yaml:"etcd,omitempty" json:"etcd,omitempty"`
	// Prometheus is a Prometheus URL the planner queries, or "start" for a
	// server the case starts scraping the deployment's metrics; empty: none.
	Prometheus string `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
}

// TimeoutOrDefault is the HTTP call bound.
func (e *ExternalPlanner) TimeoutOrDefault() time.Duration {
	if e == nil || e.Timeout <= 0 {
		return DefaultExternalTimeout
	}
	return e.Timeout.D()
}

// NamespaceOrDefault is the Dynamo namespace.
func (e *ExternalPlanner) NamespaceOrDefault() string {
	if e == nil || e.Namespace == "" {
		return "dynamo"
	}
	return e.Namespace
}

func (e *ExternalPlanner) validate(l errorList) {
	if e == nil {
		l.add("external", "mode external needs an external section (protocol http or dynamo-virtual)")
		return
	}
	switch e.Protocol {
	case ProtocolHTTP:
		l.check(e.URL != "", "external.url", "protocol http needs the planner's URL")
	case ProtocolDynamoVirtual:
	default:
		l.add("external.protocol", "must be http or dynamo-virtual, got %q", e.Protocol)
	}
	l.check(e.Timeout >= 0, "external.timeout", "must be >= 0, got %s", e.Timeout)
}

// ExternalRequest is what the HTTP protocol POSTs each adjustment interval
// (schemas/external_planner_http.schema.json).
type ExternalRequest struct {
	Version int `json:"version"`
	// Case is the case's ID; Interval counts adjustment intervals from 1.
	Case     string `json:"case"`
	Interval int    `json:"interval"`
	// AtS is the interval's end, IntervalS its length, both in trace seconds.
	AtS       float64 `json:"at_s"`
	IntervalS float64 `json:"interval_s"`
	// Samples are the interval's metric samples, oldest first.
	Samples []Sample `json:"samples"`
	// Workers are the deployment's workers at the decision.
	Workers ExternalWorkers `json:"workers"`
	Budget  ExternalBudget  `json:"budget"`
	SLO     ExternalSLO     `json:"slo"`
}

// ExternalWorkers are the workers serving and starting.
type ExternalWorkers struct {
	Prefill         int `json:"prefill"`
	Decode          int `json:"decode"`
	PrefillStarting int `json:"prefill_starting"`
	DecodeStarting  int `json:"decode_starting"`
}

// ExternalBudget is what the planner must stay within.
type ExternalBudget struct {
	MaxGPUs             int `json:"max_gpus"`
	PrefillEngineNumGPU int `json:"prefill_engine_num_gpu"`
	DecodeEngineNumGPU  int `json:"decode_engine_num_gpu"`
	MinEndpoint         int `json:"min_endpoint"`
}

// ExternalSLO are the case's latency targets.
type ExternalSLO struct {
	TTFTMS float64 `json:"ttft_ms"`
	ITLMS  float64 `json:"itl_ms"`
}

// ExternalAnswer is the HTTP planner's answer: the worker counts it wants
// and why.
type ExternalAnswer struct {
	Prefill int    `json:"prefill"`
	Decode  int    `json:"decode"`
	Reason  string `json:"reason"`
}

// VirtualKeys are a Dynamo planner's etcd keys as the environment reads
// them (VirtualConnectorClient.get); a key not written is -1.
type VirtualKeys struct {
	Prefill          int `json:"num_prefill_workers"`
	Decode           int `json:"num_decode_workers"`
	DecisionID       int `json:"decision_id"`
	ScaledDecisionID int `json:"scaled_decision_id"`
}

// NoVirtualKeys is what an empty namespace reads as.
var NoVirtualKeys = VirtualKeys{Prefill: -1, Decode: -1, DecisionID: -1, ScaledDecisionID: -1}
