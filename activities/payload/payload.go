// Package payload is the contract between the workflows and the
// activities: activity names, task queues, and the inputs and results that
// travel through Temporal. Everything here is plain data (stdlib and
// schemas types only), so the workflows link none of the domain packages
// and renaming a field in one of them cannot silently change a payload
// recorded in a running workflow's history.
package payload

import (
	"path/filepath"
	"time"

	"plannerbench/schemas"
)

// Activity names: the methods of activities.Activities, registered under
// their own names. A test in package activities checks each one names a
// method.
const (
	NodeQueueActivity       = "NodeQueue"
	FindCompletedActivity   = "FindCompleted"
	SynthesizeTraceActivity = "SynthesizeTrace"
	DeployActivity          = "Deploy"
	ScaleActivity           = "Scale"
	WorkersActivity         = "Workers"
	CollectMetricsActivity  = "CollectMetrics"
	ObserveActivity         = "Observe"
	DriveLoadActivity       = "DriveLoad"
	TeardownActivity        = "Teardown"
	SummarizeActivity       = "Summarize"
	CompareCasesActivity    = "CompareCases"
	// The external planner's environment and protocols.
	StartPlannerEnvActivity = "StartPlannerEnv"
	StopPlannerEnvActivity  = "StopPlannerEnv"
	ExternalAskActivity     = "ExternalAsk"
	VirtualPollActivity     = "VirtualPoll"
	VirtualCompleteActivity = "VirtualComplete"
)

// Task queues (docs/architecture.md, Temporal conventions).
const (
	// SharedQueue serves workflows and activities any worker can run.
	SharedQueue = "plannerbench"
	// NodeQueuePrefix + a stable node name serves activities bound to one
	// node: its deployments, their load and their metrics.
	NodeQueuePrefix = "plannerbench-node-"
)

// NodeQueue returns the task queue of node.
func NodeQueue(node string) string { return NodeQueuePrefix + node }

// Error types of non-retryable failures.
const (
	// ErrValidation: the input can never work; retrying is pointless.
	ErrValidation = "ValidationError"
	// ErrUnsupported: the backend is not one this worker can deploy.
	ErrUnsupported = "UnsupportedBackend"
	// ErrScaleRefused: the deployment refused a scaling request.
	ErrScaleRefused = "ScaleRefused"
)

// CaseDir is where a case's files live: <results>/<matrix>/<case>.
func CaseDir(resultsDir, matrix, caseID string) string {
	return filepath.Join(resultsDir, matrix, caseID)
}

// CaseRef names a case's folder.
type CaseRef struct {
	Matrix string `json:"matrix"`
	Case   string `json:"case"`
	Dir    string `json:"dir"`
}

// SynthesizeInput asks for a case's trace.
type SynthesizeInput struct {
	Case  CaseRef           `json:"case"`
	Trace schemas.TraceSpec `json:"trace"`
}

// DeployInput asks for a running deployment.
type DeployInput struct {
	Case          CaseRef            `json:"case"`
	Model         string             `json:"model"`
	Backend       schemas.Backend    `json:"backend"`
	Deployment    schemas.Deployment `json:"deployment"`
	TimeScale     float64            `json:"time_scale"`
	GPUsPerEngine int                `json:"gpus_per_engine"`
}

// ScaleInput asks a deployment for a target.
type ScaleInput struct {
	Deployment schemas.DeploymentRef `json:"deployment"`
	Target     schemas.Target        `json:"target"`
}

// CollectInput starts the metric scraper of a case.
type CollectInput struct {
	Case       CaseRef               `json:"case"`
	Deployment schemas.DeploymentRef `json:"deployment"`
	// T0 is the case's start; a sample's At is (now - T0) * time scale.
	T0 time.Time `json:"t0"`
	// PullInterval is in trace time.
	PullInterval time.Duration `json:"pull_interval"`
}

// ObserveInput asks for the samples of [From, To] in trace time, and
// records the previous interval's decision.
type ObserveInput struct {
	Case     CaseRef           `json:"case"`
	From     time.Duration     `json:"from"`
	To       time.Duration     `json:"to"`
	Decision *schemas.Decision `json:"decision,omitempty"`
}

// DriveInput replays a case's trace against its deployment.
type DriveInput struct {
	Case       CaseRef               `json:"case"`
	Deployment schemas.DeploymentRef `json:"deployment"`
	Trace      schemas.TraceRef      `json:"trace"`
	T0         time.Time             `json:"t0"`
	BlockSize  int                   `json:"block_size"`
}

// DriveResult is the load driver's final tally.
type DriveResult struct {
	Total         int     `json:"total"`
	Sent          int64   `json:"sent"`
	Done          int64   `json:"done"`
	Errors        int64   `json:"errors"`
	Skipped       int64   `json:"skipped"`
	Interrupted   int64   `json:"interrupted"`
	LatenessP50MS float64 `json:"lateness_p50_ms"`
	LatenessP99MS float64 `json:"lateness_p99_ms"`
	LatenessMaxMS float64 `json:"lateness_max_ms"`
}

// Progress is what DriveLoad signals to its workflow while it runs.
type Progress struct {
	Sent          int64           `json:"sent"`
	Done          int64           `json:"done"`
	Errors        int64           `json:"errors"`
	Total         int             `json:"total"`
	LatenessP99MS float64         `json:"lateness_p99_ms"`
	Workers       schemas.Workers `json:"workers"`
}

// ProgressSignal is the signal DriveLoad sends its workflow.
const ProgressSignal = "progress"

// SummarizeInput turns a case's files into its results.
type SummarizeInput struct {
	Case      CaseRef      `json:"case"`
	Spec      schemas.Case `json:"spec"`
	T0        time.Time    `json:"t0"`
	TimeScale float64      `json:"time_scale"`
}

// ResultRef points at a case's results.
type ResultRef struct {
	Dir  string `json:"dir"`
	Rows int    `json:"rows"`
}

// CaseOutcome is one case of a matrix as the comparison sees it.
type CaseOutcome struct {
	ID     string       `json:"id"`
	Spec   schemas.Case `json:"spec"`
	Status string       `json:"status"` // completed, reused, failed
	Result *ResultRef   `json:"result,omitempty"`
	Error  string       `json:"error,omitempty"`
}

// CompareInput asks for a matrix's comparison.
type CompareInput struct {
	Matrix   string        `json:"matrix"`
	Cases    []CaseOutcome `json:"cases"`
	Baseline string        `json:"baseline,omitempty"`
}

// ComparisonRef points at a matrix's comparison files.
type ComparisonRef struct {
	Dir        string `json:"dir"`
	Comparison string `json:"comparison"`
	Report     string `json:"report,omitempty"`
}

// FindCompletedInput lists the cases of a matrix that already have results.
type FindCompletedInput struct {
	Matrix string   `json:"matrix"`
	Cases  []string `json:"cases"`
	// Specs are the cases as now submitted (same order): a stored result
	// of another spec (say, another profile) is not reused.
	Specs []schemas.Case `json:"specs,omitempty"`
}

// PlannerEnvInput asks for an external planner's environment: its etcd and
// Prometheus (dynamo-virtual) and its process (Command).
type PlannerEnvInput struct {
	Case       CaseRef                 `json:"case"`
	Deployment schemas.DeploymentRef   `json:"deployment"`
	External   schemas.ExternalPlanner `json:"external"`
}

// PlannerEnvRef is a running external planner environment.
type PlannerEnvRef struct {
	Case CaseRef `json:"case"`
	Node string  `json:"node"`
	// Etcd is the etcd endpoint (dynamo-virtual), Namespace its Dynamo
	// namespace, Prometheus the URL the planner queries (or empty).
	Etcd       string `json:"etcd,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Prometheus string `json:"prometheus,omitempty"`
	// Groups are the process groups started for the case (etcd,
	// Prometheus, the planner's command), stopped by StopPlannerEnv.
	Groups []int `json:"groups,omitempty"`
}

// ExternalAskInput is one HTTP planner call.
type ExternalAskInput struct {
	URL     string                  `json:"url"`
	Timeout time.Duration           `json:"timeout"`
	Request schemas.ExternalRequest `json:"request"`
}

// ExternalAskResult is the planner's answer, or why it is not usable (Bad:
// recorded, no change); a bad answer is not an activity failure.
type ExternalAskResult struct {
	Answer *schemas.ExternalAnswer `json:"answer,omitempty"`
	Bad    string                  `json:"bad,omitempty"`
}

// VirtualInput names a Dynamo planner's etcd keys; DecisionID is the
// decision VirtualComplete acknowledges.
type VirtualInput struct {
	Etcd       string `json:"etcd"`
	Namespace  string `json:"namespace"`
	DecisionID int    `json:"decision_id"`
}
