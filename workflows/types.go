// Package workflows holds plannerbench's Temporal workflows: deterministic
// orchestration only, no I/O, no clocks but workflow.Now, no unsorted map
// iteration. Work happens in activities; data stays in files.
package workflows

import (
	"time"

	"plannerbench/activities/payload"
	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// Workflow, query, signal and search-attribute names (docs/architecture.md, Temporal conventions).
const (
	MatrixWorkflowName    = "MatrixWorkflow"
	BenchmarkWorkflowName = "BenchmarkWorkflow"
	PlannerWorkflowName   = "PlannerWorkflow"

	ProgressQuery = "progress"
	StateQuery    = "state"
	StopSignal    = "stop"

	SABenchStage  = "BenchStage"
	SABenchMatrix = "BenchMatrix"
	SABenchCase   = "BenchCase"
	SADeployment  = "Deployment"
	SAPlannerMode = "PlannerMode"
)

// SearchAttributes are the keyword attributes the workflows upsert.
var SearchAttributes = []string{SABenchStage, SABenchMatrix, SABenchCase, SADeployment, SAPlannerMode}

// Stages of a benchmark, in order.
const (
	StageScheduling = "scheduling"
	StageSynthesize = "synthesize"
	StageDeploy     = "deploy"
	StageLoad       = "load"
	StageStopping   = "stop-planner"
	StageTeardown   = "teardown"
	StageSummarize  = "summarize"
	StageDone       = "done"
	StageFailed     = "failed"
)

// MatrixID is a matrix's workflow ID; CaseID and PlannerID its children's.
func MatrixID(name, hash string) string   { return "matrix/" + name + "/" + hash }
func CaseID(matrix, caseID string) string { return "bench/" + matrix + "/" + caseID }
func PlannerID(matrix, caseID string) string {
	return "bench/" + matrix + "/" + caseID + "/planner"
}

// MatrixInput is a validated, expanded matrix.
type MatrixInput struct {
	Name        string         `json:"name"`
	Hash        string         `json:"hash"`
	Cases       []schemas.Case `json:"cases"`
	MaxParallel int            `json:"max_parallel"`
	Baseline    string         `json:"baseline,omitempty"`
}

// MatrixResult lists each case's outcome and the comparison.
type MatrixResult struct {
	Cases      []payload.CaseOutcome  `json:"cases"`
	Comparison *payload.ComparisonRef `json:"comparison,omitempty"`
	Failed     int                    `json:"failed"`
}

// BenchmarkInput is one case.
type BenchmarkInput struct {
	Case schemas.Case `json:"case"`
	// Lead is how long after deployment the load starts, so the metric
	// scraper and the planner are in place first.
	Lead time.Duration `json:"lead"`
}

// BenchmarkResult is a finished case.
type BenchmarkResult struct {
	Result  payload.ResultRef   `json:"result"`
	Load    payload.DriveResult `json:"load"`
	Planner PlannerState        `json:"planner"`
}

// CaseProgress answers the benchmark's progress query.
type CaseProgress struct {
	Case     string           `json:"case"`
	Stage    string           `json:"stage"`
	Progress payload.Progress `json:"progress"`
	Error    string           `json:"error,omitempty"`
}

// MatrixProgress answers the matrix's progress query.
type MatrixProgress struct {
	Matrix string       `json:"matrix"`
	Cases  []CaseStatus `json:"cases"`
}

// CaseStatus is one case as the matrix sees it.
type CaseStatus struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"` // pending, running, completed, reused, failed
	Error      string `json:"error,omitempty"`
}

// PlannerInput starts (or continues) a case's planner.
type PlannerInput struct {
	Case       payload.CaseRef       `json:"case"`
	Deployment schemas.DeploymentRef `json:"deployment"`
	NodeQueue  string                `json:"node_queue"`
	Config     schemas.PlannerConfig `json:"config"`
	// T0 is the case's start; tick k covers trace time ((k-1)·interval, k·interval].
	T0    time.Time    `json:"t0"`
	State PlannerState `json:"state"`
	// Env is an external planner's environment (mode external).
	Env *payload.PlannerEnvRef `json:"env,omitempty"`
	// NodeLostAfter is the case's node_lost_after (0: the default), so the
	// planner's node-bound activities give up on a lost node as soon as
	// the case's do.
	NodeLostAfter time.Duration `json:"node_lost_after,omitempty"`
}

// PlannerState is carried across ticks and continue-as-new; the state query
// returns it.
type PlannerState struct {
	Ticks    int               `json:"ticks"`
	Planner  planner.State     `json:"planner"`
	Last     *schemas.Decision `json:"last,omitempty"`
	Scalings int               `json:"scalings"`
	// TickTimes are the workflow times of every tick, to check for gaps.
	TickTimes []time.Time `json:"tick_times"`
	Stopped   bool        `json:"stopped"`
	// Virtual is the environment's memory of a Dynamo planner's decisions
	// (mode external, protocol dynamo-virtual).
	Virtual planner.VirtualState `json:"virtual"`
}
