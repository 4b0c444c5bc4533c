package schemas

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Planner modes.
const (
	PlannerNoop = "noop" // observe and log only: the seed's --no-operation baseline
	PlannerLoad = "load" // Dynamo's load-based planner (the default)
	PlannerSLA  = "sla"  // predictive, SLA-driven sizing
	// PlannerLoadFPM is Dynamo's 2026 load scaling on per-engine
	// forward-pass metrics (easy mode).
	PlannerLoadFPM = "load-fpm"
)

// Optimization targets of the load-fpm planner (Dynamo's
// optimization_target other than "sla").
const (
	TargetThroughput = "throughput"
	TargetLatency    = "latency"
)

// Load predictors of the SLA planner.
const (
	PredictorConstant      = "constant"
	PredictorMovingAverage = "moving_average"
	PredictorHolt          = "holt"
	PredictorKalman        = "kalman"
)

// PlannerConfig configures one case's planner. Field names follow the flags
// of Dynamo's planner (--adjustment-interval becomes adjustment_interval).
type PlannerConfig struct {
	Mode                           string   `yaml:"mode" json:"mode"`
	AdjustmentInterval             Duration `yaml:"adjustment_interval" json:"adjustment_interval"`
	MetricPullingInterval          Duration `yaml:"metric_pulling_interval" json:"metric_pulling_interval"`
	MaxGPUBudget                   int      `yaml:"max_gpu_budget" json:"max_gpu_budget"`
	MinEndpoint                    int      `yaml:"min_endpoint" json:"min_endpoint"`
	PrefillEngineNumGPU            int      `yaml:"prefill_engine_num_gpu" json:"prefill_engine_num_gpu"`
	DecodeEngineNumGPU             int      `yaml:"decode_engine_num_gpu" json:"decode_engine_num_gpu"`
	PrefillQueueScaleUpThreshold   float64  `yaml:"prefill_queue_scale_up_threshold" json:"prefill_queue_scale_up_threshold"`
	PrefillQueueScaleDownThreshold float64  `yaml:"prefill_queue_scale_down_threshold" json:"prefill_queue_scale_down_threshold"`
	DecodeKVScaleUpThreshold       float64  `yaml:"decode_kv_scale_up_threshold" json:"decode_kv_scale_up_threshold"`
	DecodeKVScaleDownThreshold     float64  `yaml:"decode_kv_scale_down_threshold" json:"decode_kv_scale_down_threshold"`
	// BlockingScaling makes the load planner wait after each change until
	// the worker count reflects it, collecting and deciding nothing
	// meanwhile, as the seed's LocalConnector did (blocking=True, its
	// default). On by default.
	BlockingScaling bool `yaml:"blocking_scaling" json:"blocking_scaling"`
	// PrefillQueuePerWorker divides the load planner's mean prefill queue
	// by the prefill workers, as Dynamo's planner does from 93702e44
	// (2025-05-20); off by default, as in the seed's run.
	PrefillQueuePerWorker bool `yaml:"prefill_queue_per_worker" json:"prefill_queue_per_worker"`
	// DecodeGraceIntervals is how many adjustment intervals after a decode
	// scale-up no decode scale-down may happen.
	DecodeGraceIntervals int `yaml:"decode_grace_intervals" json:"decode_grace_intervals"`

	// SLA planner settings.
	TTFT      Duration `yaml:"ttft" json:"ttft"`
	ITL       Duration `yaml:"itl" json:"itl"`
	Predictor string   `yaml:"predictor" json:"predictor"`
	// PredictorWindow is the number of intervals a moving average spans.
	PredictorWindow int `yaml:"predictor_window" json:"predictor_window"`

	// load-fpm settings. OptimizationTarget picks the threshold set
	// (throughput or latency); ContextLength is the engines' context length
	// (max_model_len), which Dynamo's planner reads from the workers.
	OptimizationTarget string `yaml:"optimization_target,omitempty" json:"optimization_target,omitempty"`
	ContextLength      int    `yaml:"context_length,omitempty" json:"context_length,omitempty"`

	// External configures mode external: a planner outside plannerbench.
	External *ExternalPlanner `yaml:"external,omitempty" json:"external,omitempty"`
}

// DefaultPlannerConfig returns Dynamo's load-planner defaults (docs/fidelity.md, Planners).
func DefaultPlannerConfig() PlannerConfig {
	return PlannerConfig{
		Mode:                           PlannerLoad,
		AdjustmentInterval:             Duration(10 * time.Second),
		MetricPullingInterval:          Duration(time.Second),
		MaxGPUBudget:                   8,
		MinEndpoint:                    1,
		PrefillEngineNumGPU:            1,
		DecodeEngineNumGPU:             1,
		PrefillQueueScaleUpThreshold:   5.0,
		PrefillQueueScaleDownThreshold: 0.2,
		DecodeKVScaleUpThreshold:       0.9,
		DecodeKVScaleDownThreshold:     0.5,
		DecodeGraceIntervals:           3,
		BlockingScaling:                true,
		TTFT:                           Duration(500 * time.Millisecond),
		ITL:                            Duration(50 * time.Millisecond),
		Predictor:                      PredictorMovingAverage,
		PredictorWindow:                3,
		OptimizationTarget:             TargetThroughput,
		ContextLength:                  16384, // the seed graph's max-model-len
	}
}

// UnmarshalYAML fills unset fields with the defaults.
func (c *PlannerConfig) UnmarshalYAML(node *yaml.Node) error {
	type plain PlannerConfig
	v := plain(DefaultPlannerConfig())
	err := decodeKnown(node, &v, "planner")
	*c = PlannerConfig(v)
	return err
}

// plannerMode is a planner mode's name and the checks of its settings.
type plannerMode struct {
	name  string
	check func(c PlannerConfig, l errorList)
}

// plannerModes are the planner modes a matrix may name, in the order its
// errors list them, each with the checks of its own settings (nil: only
// the common ones). What each planner does is internal/planner's registry
// of modes, which a test keeps to these names.
var plannerModes = []plannerMode{
	{PlannerNoop, nil},
	{PlannerLoad, nil},
	{PlannerLoadFPM, func(c PlannerConfig, l errorList) {
		l.check(c.OptimizationTarget == TargetThroughput || c.OptimizationTarget == TargetLatency, "optimization_target",
			"must be throughput or latency, got %q", c.OptimizationTarget)
		l.check(c.ContextLength > 0, "context_length", "must be > 0, got %d", c.ContextLength)
	}},
	{PlannerSLA, nil},
	{PlannerExternal, func(c PlannerConfig, l errorList) { c.External.validate(l) }},
}

// PlannerModes lists the planner modes a matrix may name.
func PlannerModes() []string {
	names := make([]string, len(plannerModes))
	for i, m := range plannerModes {
		names[i] = m.name
	}
	return names
}

// plannerModeNamed returns the mode named name.
func plannerModeNamed(name string) (plannerMode, bool) {
	for _, m := range plannerModes {
		if m.name == name {
			return m, true
		}
	}
	return plannerMode{}, false
}

// Validate checks the settings of a planner that starts from deployment
// d, outside a matrix (`plannerbench replay --planner-config`); the
// problems name the fields as the planner section of a matrix case does.
func (c PlannerConfig) Validate(d Deployment) FieldErrors {
	l := newErrorList()
	c.validate(l, d)
	return *l.errs
}

func (c PlannerConfig) validate(l errorList, d Deployment) {
	if m, ok := plannerModeNamed(c.Mode); !ok {
		l.add("mode", "must be one of %s; got %q", strings.Join(PlannerModes(), ", "), c.Mode)
	} else if m.check != nil {
		m.check(c, l)
	}
	l.check(c.AdjustmentInterval > 0, "adjustment_interval", "must be > 0, got %s", c.AdjustmentInterval)
	l.check(c.MetricPullingInterval > 0, "metric_pulling_interval", "must be > 0, got %s", c.MetricPullingInterval)
	l.check(c.AdjustmentInterval <= 0 || c.MetricPullingInterval <= c.AdjustmentInterval, "metric_pulling_interval",
		"must not exceed adjustment_interval (%s), got %s", c.AdjustmentInterval, c.MetricPullingInterval)
	l.check(c.MinEndpoint >= 1, "min_endpoint", "must be >= 1, got %d", c.MinEndpoint)
	l.check(c.PrefillEngineNumGPU >= 1, "prefill_engine_num_gpu", "must be >= 1, got %d", c.PrefillEngineNumGPU)
	l.check(c.DecodeEngineNumGPU >= 1, "decode_engine_num_gpu", "must be >= 1, got %d", c.DecodeEngineNumGPU)
	start := d.Prefill*c.PrefillEngineNumGPU + d.Decode*c.DecodeEngineNumGPU
	l.check(c.MaxGPUBudget >= start, "max_gpu_budget", "must be >= the %d GPUs of the starting deployment %s, got %d", start, d, c.MaxGPUBudget)
	l.check(c.PrefillQueueScaleUpThreshold > c.PrefillQueueScaleDownThreshold, "prefill_queue_scale_up_threshold",
		"must be > prefill_queue_scale_down_threshold (%v), got %v", c.PrefillQueueScaleDownThreshold, c.PrefillQueueScaleUpThreshold)
	l.check(c.PrefillQueueScaleDownThreshold >= 0, "prefill_queue_scale_down_threshold", "must be >= 0, got %v", c.PrefillQueueScaleDownThreshold)
	l.check(c.DecodeKVScaleUpThreshold > c.DecodeKVScaleDownThreshold, "decode_kv_scale_up_threshold",
		"must be > decode_kv_scale_down_threshold (%v), got %v", c.DecodeKVScaleDownThreshold, c.DecodeKVScaleUpThreshold)
	l.check(c.DecodeKVScaleDownThreshold >= 0, "decode_kv_scale_down_threshold", "must be >= 0, got %v", c.DecodeKVScaleDownThreshold)
	l.check(c.DecodeGraceIntervals >= 0, "decode_grace_intervals", "must be >= 0, got %d", c.DecodeGraceIntervals)
	l.check(c.TTFT > 0, "ttft", "must be > 0, got %s", c.TTFT)
	l.check(c.ITL > 0, "itl", "must be > 0, got %s", c.ITL)
	switch c.Predictor {
	case PredictorConstant, PredictorMovingAverage, PredictorHolt, PredictorKalman:
	default:
		l.add("predictor", "must be one of constant, moving_average, holt, kalman; got %q", c.Predictor)
	}
	l.check(c.PredictorWindow >= 1, "predictor_window", "must be >= 1, got %d", c.PredictorWindow)
}
