package casefolder

import "path/filepath"

// The files of a case folder. AIPerf's three export files keep AIPerf's
// own names (aiperf.RecordsFile, SummaryJSONFile, SummaryCSVFile).
const (
	// SpecFile is the case's spec (schemas.Case) as it ran.
	SpecFile = "case.json"
	// SummaryFile is the case's results.Summary, written last.
	SummaryFile = "summary.json"
	// TimelineFile is one row a metric sample, with the planner's decisions.
	TimelineFile = "timeline.parquet"
	// TensorBoardDir holds the timeline as TensorBoard scalars.
	TensorBoardDir = "tensorboard"
	// RequestsDir holds the request records' Parquet parts while the load
	// runs; RequestsDir.parquet once compacted (results.TablePath).
	RequestsDir = "requests"
	// GPUDir holds the GPU telemetry's parts, gpu.parquet once compacted.
	GPUDir = "gpu"
	// SamplesFile is one schemas.Sample a line, from each metric pull.
	SamplesFile = "samples.jsonl"
	// DecisionsFile is one schemas.Decision a line, from each planner tick.
	DecisionsFile = "decisions.jsonl"
	// PlannerEnvFile records what was started for an external planner
	// (the process groups to stop, etcd's and Prometheus's URLs).
	PlannerEnvFile = "planner-env.json"
	// PlannerLogFile is the output of an external planner's process.
	PlannerLogFile = "planner.log"
	// EtcdLogFile is the output of an etcd started for an external
	// planner, EtcdReadyFile what it wrote once it served (its client
	// URL), EtcdDataDir its data.
	EtcdLogFile   = "etcd.log"
	EtcdReadyFile = "etcd-ready.json"
	EtcdDataDir   = "etcd"
	// PrometheusConfigFile is the scrape configuration of a Prometheus
	// started for an external planner, PrometheusLogFile its output,
	// PrometheusDataDir its time series.
	PrometheusConfigFile = "prometheus.yml"
	PrometheusLogFile    = "prometheus.log"
	PrometheusDataDir    = "prometheus-data"
	// DeploymentFile is the backend's record of the deployment it brought
	// up (deploy.StateFile), read back after a worker restart.
	DeploymentFile = "deployment.json"
	// GraphFile, SimLogFile and SimReadyFile are a simulated deployment's
	// graph, its process's log and what the process wrote once it listened.
	GraphFile    = "graph.yaml"
	SimLogFile   = "sim.log"
	SimReadyFile = "ready.json"
	// DriverStateFile is `plannerbench load`'s resume point.
	DriverStateFile = "driver.json"
)

// SetAsideMark is in the name of a case folder kept aside (DIR.before-TIME)
// because the matrix was resubmitted with another spec for the case.
const SetAsideMark = ".before-"

// TimelinePath is the timeline file of a case folder.
func TimelinePath(dir string) string { return filepath.Join(dir, TimelineFile) }

// RequestsPath is the request table of a case folder (its parts folder;
// results.ReadRequests reads the compacted file beside it too).
func RequestsPath(dir string) string { return filepath.Join(dir, RequestsDir) }

// GPUPath is the GPU table of a case folder, as RequestsPath.
func GPUPath(dir string) string { return filepath.Join(dir, GPUDir) }
