package schemas

import (
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SynthParams are the parameters of the sinusoidal trace generator. Names and
// defaults follow the reference sin_synth.py (its flag --request-rate-min is
// the field request_rate_min here).
type SynthParams struct {
	TimeDuration      int     `yaml:"time_duration" json:"time_duration"`
	ProcessInterval   int     `yaml:"process_interval" json:"process_interval"`
	RequestRateMin    float64 `yaml:"request_rate_min" json:"request_rate_min"`
	RequestRateMax    float64 `yaml:"request_rate_max" json:"request_rate_max"`
	RequestRatePeriod float64 `yaml:"request_rate_period" json:"request_rate_period"`
	ISL1              int     `yaml:"isl1" json:"isl1"`
	OSL1              int     `yaml:"osl1" json:"osl1"`
	ISL2              int     `yaml:"isl2" json:"isl2"`
	OSL2              int     `yaml:"osl2" json:"osl2"`
	ISLOSLRatioMin    float64 `yaml:"isl_osl_ratio_min" json:"isl_osl_ratio_min"`
	ISLOSLRatioMax    float64 `yaml:"isl_osl_ratio_max" json:"isl_osl_ratio_max"`
	ISLOSLRatioPeriod float64 `yaml:"isl_osl_ratio_period" json:"isl_osl_ratio_period"`
	BlockSize         int     `yaml:"block_size" json:"block_size"`
	TotalBlocks       int     `yaml:"total_blocks" json:"total_blocks"`
	Seed              uint64  `yaml:"seed" json:"seed"`
	// Phase is where both sinusoids start: PhaseMin ("" too) at their
	// minimum, as ai-dynamo/dynamo benchmarks/sin_load_generator/sin_synth.py
	// has computed them since 1b3a1073 (2025-08-20, sin(2πt/period - π/2)),
	// or PhaseMean at their mean, rising, as the planner guide's own
	// docs/guides/planner_benchmark/sin_synth.py did at 7d5d6f8c
	// (sin(2πt/period)): the seed's trace.
	Phase string `yaml:"phase,omitempty" json:"phase,omitempty"`
	// Given lists the reference flag names (for example "request-rate-min")
	// the user set explicitly. It matters only for the default file name:
	// the reference prints a float flag given on its command line as "5.0"
	// but leaves an untouched int default as "5".
	Given []string `yaml:"-" json:"given,omitempty"`
}

// Sinusoid phases (SynthParams.Phase).
const (
	PhaseMin  = "min"
	PhaseMean = "mean"
)

// DefaultSynthParams returns the reference generator's defaults.
func DefaultSynthParams() SynthParams {
	return SynthParams{
		TimeDuration:      100,
		ProcessInterval:   1,
		RequestRateMin:    5,
		RequestRateMax:    10,
		RequestRatePeriod: 10,
		ISL1:              100,
		OSL1:              2000,
		ISL2:              5000,
		OSL2:              100,
		ISLOSLRatioMin:    0.2,
		ISLOSLRatioMax:    0.8,
		ISLOSLRatioPeriod: 10,
		BlockSize:         512,
		TotalBlocks:       10000,
	}
}

// IsGiven reports whether the reference flag name was set explicitly.
func (p SynthParams) IsGiven(flag string) bool {
	for _, g := range p.Given {
		if g == flag {
			return true
		}
	}
	return false
}

// MarkGiven records flag as explicitly set, keeping Given sorted and unique.
func (p *SynthParams) MarkGiven(flag string) {
	if p.IsGiven(flag) {
		return
	}
	p.Given = append(p.Given, flag)
	sort.Strings(p.Given)
}

// UnmarshalYAML starts from the reference defaults, rejects unknown keys and
// records which keys were present in Given.
func (p *SynthParams) UnmarshalYAML(node *yaml.Node) error {
	type plain SynthParams
	v := plain(DefaultSynthParams())
	err := decodeKnown(node, &v, "trace.synth")
	*p = SynthParams(v)
	p.Given = nil
	if node.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(node.Content); i += 2 {
			p.MarkGiven(strings.ReplaceAll(node.Content[i].Value, "_", "-"))
		}
	}
	return err
}

// Validate returns every problem with the parameters, with paths under prefix.
func (p SynthParams) Validate(prefix string) FieldErrors {
	l := newErrorList().at(prefix)
	p.validate(l)
	return *l.errs
}

func (p SynthParams) validate(l errorList) {
	l.check(p.TimeDuration > 0, "time_duration", "must be > 0 seconds, got %d", p.TimeDuration)
	l.check(p.ProcessInterval > 0, "process_interval", "must be > 0 seconds, got %d", p.ProcessInterval)
	l.check(finite(p.RequestRateMin) && p.RequestRateMin >= 0, "request_rate_min", "must be >= 0, got %v", p.RequestRateMin)
	l.check(finite(p.RequestRateMax) && p.RequestRateMax >= p.RequestRateMin, "request_rate_max", "must be >= request_rate_min (%v), got %v", p.RequestRateMin, p.RequestRateMax)
	l.check(finite(p.RequestRatePeriod) && p.RequestRatePeriod > 0, "request_rate_period", "must be > 0 seconds, got %v", p.RequestRatePeriod)
	l.check(p.ISL1 > 0, "isl1", "must be > 0 tokens, got %d", p.ISL1)
	l.check(p.OSL1 > 0, "osl1", "must be > 0 tokens, got %d", p.OSL1)
	l.check(p.ISL2 > 0, "isl2", "must be > 0 tokens, got %d", p.ISL2)
	l.check(p.OSL2 > 0, "osl2", "must be > 0 tokens, got %d", p.OSL2)
	l.check(finite(p.ISLOSLRatioMin) && p.ISLOSLRatioMin >= 0 && p.ISLOSLRatioMin <= 1, "isl_osl_ratio_min", "must be within [0, 1], got %v", p.ISLOSLRatioMin)
	l.check(finite(p.ISLOSLRatioMax) && p.ISLOSLRatioMax >= p.ISLOSLRatioMin && p.ISLOSLRatioMax <= 1, "isl_osl_ratio_max", "must be within [isl_osl_ratio_min, 1], got %v", p.ISLOSLRatioMax)
	l.check(finite(p.ISLOSLRatioPeriod) && p.ISLOSLRatioPeriod > 0, "isl_osl_ratio_period", "must be > 0 seconds, got %v", p.ISLOSLRatioPeriod)
	l.check(p.BlockSize > 0, "block_size", "must be > 0 tokens, got %d", p.BlockSize)
	l.check(p.Phase == "" || p.Phase == PhaseMin || p.Phase == PhaseMean, "phase", "must be min (the current sin_synth.py) or mean (the planner guide's, 2025-04), got %q", p.Phase)
	l.check(p.TotalBlocks >= 0 && p.TotalBlocks < math.MaxInt32, "total_blocks", "must be within [0, %d), got %d", math.MaxInt32, p.TotalBlocks)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
