// Package activities holds the Temporal activities of a benchmark: thin
// adapters over the domain packages (synthesis, the simulator, the load
// driver, results) that add heartbeats, checkpoints and error
// classification. Data stays on disk; activities exchange references.
package activities

import (
	"path/filepath"
	"time"

	"plannerbench/deploy/sim"
	"plannerbench/internal/loadgen"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// Task queues (DESIGN §3.6).
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
)

// Files of a case folder.
const (
	SamplesFile    = "samples.jsonl"   // one planner.Sample a line, from CollectMetrics
	DecisionsFile  = "decisions.jsonl" // one planner.Decision a line, from Observe
	DeploymentFile = "deployment.json" // the running deployment's pid, URL and config
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

// DeploymentRef identifies a running deployment.
type DeploymentRef struct {
	Node          string      `json:"node"`
	URL           string      `json:"url"`
	PID           int         `json:"pid"`
	StateFile     string      `json:"state_file"`
	Model         string      `json:"model"`
	TimeScale     float64     `json:"time_scale"`
	GPUsPerEngine int         `json:"gpus_per_engine"`
	Profile       sim.Profile `json:"profile"`
}

// ScaleInput changes a deployment by deltas relative to the workers
// serving or starting.
type ScaleInput struct {
	Deployment   DeploymentRef `json:"deployment"`
	DeltaPrefill int           `json:"delta_prefill"`
	DeltaDecode  int           `json:"delta_decode"`
}

// Workers are a deployment's workers by state after a change.
type Workers struct {
	PrefillReady    int `json:"prefill_ready"`
	DecodeReady     int `json:"decode_ready"`
	PrefillStarting int `json:"prefill_starting"`
	DecodeStarting  int `json:"decode_starting"`
	NumGPU          int `json:"num_gpu"`
}

// CollectInput starts the metric scraper of a case.
type CollectInput struct {
	Case       CaseRef       `json:"case"`
	Deployment DeploymentRef `json:"deployment"`
	// T0 is the case's start; a sample's At is (now - T0) * time scale.
	T0 time.Time `json:"t0"`
	// PullInterval is in trace time.
	PullInterval time.Duration `json:"pull_interval"`
}

// ObserveInput asks for the samples of (From, To] in trace time, and
// records the previous interval's decision.
type ObserveInput struct {
	Case     CaseRef           `json:"case"`
	From     time.Duration     `json:"from"`
	To       time.Duration     `json:"to"`
	Decision *planner.Decision `json:"decision,omitempty"`
}

// DriveInput replays a case's trace against its deployment.
type DriveInput struct {
	Case       CaseRef          `json:"case"`
	Deployment DeploymentRef    `json:"deployment"`
	Trace      schemas.TraceRef `json:"trace"`
	T0         time.Time        `json:"t0"`
	BlockSize  int              `json:"block_size"`
}

// DriveResult is the load driver's final tally.
type DriveResult struct {
	loadgen.Progress
	LatenessP50MS float64 `json:"lateness_p50_ms"`
	LatenessMaxMS float64 `json:"lateness_max_ms"`
}

// Progress is what DriveLoad signals to its workflow while it runs.
type Progress struct {
	Sent          int64   `json:"sent"`
	Done          int64   `json:"done"`
	Errors        int64   `json:"errors"`
	Total         int     `json:"total"`
	LatenessP99MS float64 `json:"lateness_p99_ms"`
	Workers       Workers `json:"workers"`
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
}
