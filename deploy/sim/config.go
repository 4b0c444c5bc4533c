package sim

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"plannerbench/deploy/configs"
	"plannerbench/schemas"
)

// GraphConfig describes a disaggregated graph: how many engines of each role
// and the engine settings of the seed's disagg_*.yaml files.
type GraphConfig struct {
	Name                  string `yaml:"name" json:"name"`
	Model                 string `yaml:"model" json:"model"`
	PrefillWorkers        int    `yaml:"prefill_workers" json:"prefill_workers"`
	DecodeWorkers         int    `yaml:"decode_workers" json:"decode_workers"`
	GPUsPerEngine         int    `yaml:"gpus_per_engine" json:"gpus_per_engine"`
	BlockSize             int    `yaml:"block_size" json:"block_size"`
	MaxModelLen           int    `yaml:"max_model_len" json:"max_model_len"`
	MaxNumBatchedTokens   int    `yaml:"max_num_batched_tokens" json:"max_num_batched_tokens"`
	ConditionalDisagg     bool   `yaml:"conditional_disagg" json:"conditional_disagg"`
	MaxLocalPrefillLength int    `yaml:"max_local_prefill_length" json:"max_local_prefill_length"`
	MaxPrefillQueueSize   int    `yaml:"max_prefill_queue_size" json:"max_prefill_queue_size"`
	PrefixCaching         bool   `yaml:"prefix_caching" json:"prefix_caching"`
	// Router is how the frontend picks a decode worker: RouterKV (Dynamo's
	// KV-aware cost) or RouterLeastLoaded.
	Router string `yaml:"router" json:"router"`
	// KVLoadRefresh is how old the kv-load router's snapshot of the
	// decode workers' cache usage gets before it is retaken (0: the
	// Processor's aggregator, DefaultKVLoadRefresh).
	KVLoadRefresh *schemas.Duration `yaml:"kv_load_refresh,omitempty" json:"kv_load_refresh,omitempty"`
	// RouterSeed seeds the KV router's random tie-break, so a replay is
	// reproducible.
	RouterSeed uint64 `yaml:"router_seed" json:"router_seed"`
	// PrefillWorkerBatching lets a prefill worker compute several queued
	// prompts in one step (up to max_num_batched_tokens); off, it takes one
	// prompt at a time, as the seed's PrefillWorker does.
	PrefillWorkerBatching bool `yaml:"prefill_worker_batching" json:"prefill_worker_batching"`
	// MaxGPUs is the machine's GPU count: scaling beyond it fails, as
	// starting a worker fails when no GPU is free. 0 means no limit.
	MaxGPUs int `yaml:"max_gpus" json:"max_gpus"`
	// Faults injects failures (none by default).
	Faults Faults `yaml:"faults,omitempty" json:"faults,omitempty"`
	// StartupDelay overrides the profile's when set.
	StartupDelay *schemas.Duration `yaml:"startup_delay,omitempty" json:"startup_delay,omitempty"`
}

// kvLoadRefresh is the kv-load router's snapshot period.
func (c *GraphConfig) kvLoadRefresh() time.Duration {
	if c.KVLoadRefresh != nil {
		return c.KVLoadRefresh.D()
	}
	return DefaultKVLoadRefresh
}

// Routers (GraphConfig.Router).
const (
	// RouterKV is Dynamo's KV-aware router: prefix overlap against load.
	RouterKV = "kv"
	// RouterKVLoad is the seed's benchmark files' router (kv-load): the
	// decode worker with the lowest gpu_cache_usage_perc, from a snapshot
	// refreshed every KVLoadRefresh.
	RouterKVLoad = "kv-load"
	// RouterLeastLoaded sends a request to the decode worker with the least
	// KV in use and queued (plannerbench's earlier router).
	RouterLeastLoaded = "least-loaded"
)

// DefaultGraphConfig is the seed's 1p1d graph: the planner benchmark
// guide's disagg_1p1d.yml (ai-dynamo/dynamo commit
// 7d5d6f8c086ac2fc3094cb05d240e8dc71ad4f7d); deploy/configs/
// planner_benchmark_1p1d.yaml gives each setting's source.
func DefaultGraphConfig() GraphConfig {
	return GraphConfig{
		Name: GraphPlannerBenchmark + "_1p1d", Model: schemas.DefaultModel, PrefillWorkers: 1, DecodeWorkers: 1, GPUsPerEngine: 1,
		BlockSize: 64, MaxModelLen: 16384, MaxNumBatchedTokens: 16384,
		Router: RouterKVLoad, MaxGPUs: 8,
	}
}

// ForDeployment returns the default graph with d's worker counts.
func ForDeployment(d schemas.Deployment) GraphConfig {
	c := DefaultGraphConfig()
	c.Name = GraphPlannerBenchmark + "_" + d.String()
	c.PrefillWorkers, c.DecodeWorkers = d.Prefill, d.Decode
	return c
}

// Graphs shipped in deploy/configs as NAME_1p1d.yaml and NAME_2p2d.yaml.
const (
	// GraphPlannerBenchmark is the seed's graph (the default): the guide's
	// own disagg_1p1d.yml / disagg_2p2d.yaml, every prefill remote,
	// kv-load routing, no prefix caching.
	GraphPlannerBenchmark = "planner_benchmark"
	// GraphDisaggRouter is Dynamo's examples/llm/configs/disagg_router.yaml:
	// KV router, conditional disaggregation, prefix caching.
	GraphDisaggRouter = "disagg_router"
	// GraphAlwaysRemote is disagg_router with every prefill remote,
	// least-loaded routing and no prefix caching (not an upstream graph).
	GraphAlwaysRemote = "always_remote"
)

// Graphs lists the shipped graphs, the default first.
var Graphs = schemas.SimGraphs

// graphAliases are the names earlier versions gave the shipped graphs.
var graphAliases = map[string]string{"disagg": GraphDisaggRouter, "disagg_remote": GraphAlwaysRemote}

// GraphName resolves a graph name ("" is the default, earlier names are
// accepted) to a shipped graph, or says which exist.
func GraphName(name string) (string, error) {
	if name == "" {
		return GraphPlannerBenchmark, nil
	}
	if n, ok := graphAliases[name]; ok {
		return n, nil
	}
	for _, g := range Graphs {
		if g == name {
			return g, nil
		}
	}
	return "", fmt.Errorf("unknown graph %q (shipped: %s)", name, strings.Join(Graphs, ", "))
}

// ForGraph returns the shipped graph ("" is GraphPlannerBenchmark) with
// d's worker counts.
func ForGraph(variant string, d schemas.Deployment) (GraphConfig, error) {
	variant, err := GraphName(variant)
	if err != nil {
		return GraphConfig{}, err
	}
	c, err := LoadGraphConfig(variant + "_1p1d")
	if err != nil {
		return GraphConfig{}, err
	}
	c.Name = variant + "_" + d.String()
	c.PrefillWorkers, c.DecodeWorkers = d.Prefill, d.Decode
	return *c, c.Validate()
}

// Validate returns every problem with the configuration.
func (c *GraphConfig) Validate() error {
	var errs []string
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, msg)
		}
	}
	check(c.Model != "", "model: must not be empty")
	check(c.PrefillWorkers >= 0, "prefill_workers: must be >= 0")
	check(c.DecodeWorkers >= 1, "decode_workers: must be >= 1")
	check(c.PrefillWorkers >= 1 || c.ConditionalDisagg, "prefill_workers: must be >= 1 unless conditional_disagg prefills locally")
	check(c.GPUsPerEngine >= 1, "gpus_per_engine: must be >= 1")
	check(c.BlockSize >= 1, "block_size: must be >= 1")
	check(c.MaxModelLen >= 1, "max_model_len: must be >= 1")
	check(c.MaxNumBatchedTokens >= 1, "max_num_batched_tokens: must be >= 1")
	check(c.MaxLocalPrefillLength >= 0, "max_local_prefill_length: must be >= 0")
	check(c.MaxPrefillQueueSize >= 0, "max_prefill_queue_size: must be >= 0")
	check(c.MaxGPUs >= 0, "max_gpus: must be >= 0")
	check(c.Router == RouterKV || c.Router == RouterKVLoad || c.Router == RouterLeastLoaded,
		fmt.Sprintf("router: must be %s, %s or %s, got %q", RouterKVLoad, RouterKV, RouterLeastLoaded, c.Router))
	check(c.KVLoadRefresh == nil || *c.KVLoadRefresh >= 0, "kv_load_refresh: must be >= 0")
	check(c.MaxGPUs == 0 || (c.PrefillWorkers+c.DecodeWorkers)*max(c.GPUsPerEngine, 1) <= c.MaxGPUs, "prefill_workers, decode_workers: need more GPUs than max_gpus")
	check(c.StartupDelay == nil || *c.StartupDelay >= 0, "startup_delay: must be >= 0")
	if err := c.Faults.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("graph config %s: %s", c.Name, strings.Join(errs, "; "))
	}
	return nil
}

// LoadGraphConfig reads a graph configuration file. A bare name such as
// "planner_benchmark_1p1d" (or "planner_benchmark_1p1d.yaml") that is not an existing file is looked
// up among the configurations shipped in deploy/configs.
func LoadGraphConfig(nameOrPath string) (*GraphConfig, error) {
	data, err := os.ReadFile(nameOrPath)
	if err != nil && !strings.ContainsRune(nameOrPath, os.PathSeparator) {
		name := strings.TrimSuffix(strings.TrimSuffix(nameOrPath, ".yml"), ".yaml") + ".yaml"
		data, err = fs.ReadFile(configs.FS, name)
	}
	if err != nil && strings.HasPrefix(filepath.ToSlash(nameOrPath), "deploy/configs/") {
		data, err = fs.ReadFile(configs.FS, filepath.Base(nameOrPath))
	}
	if err != nil {
		return nil, fmt.Errorf("read graph config %s: %w", nameOrPath, err)
	}
	c := DefaultGraphConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return &c, nil
}
