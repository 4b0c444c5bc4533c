package schemas

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Polynomial holds coefficients c0, c1, c2, … of c0 + c1·x + c2·x² + ….
type Polynomial []float64

// At evaluates the polynomial at x.
func (p Polynomial) At(x float64) float64 {
	var y float64
	for i := len(p) - 1; i >= 0; i-- {
		y = y*x + p[i]
	}
	return y
}

// Profile is an engine's performance model: how long prefill and decode
// take, how much KV cache fits, how fast KV moves, how long a worker takes
// to start. Profiles are YAML files; each constant cites its source there.
type Profile struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
	// PrefillMS maps new prompt tokens to milliseconds.
	PrefillMS Polynomial `yaml:"prefill_ms" json:"prefill_ms"`
	// DecodeStepMS maps the worker's KV utilisation (0..1) to the
	// milliseconds of one decode step of its whole batch.
	DecodeStepMS           Polynomial `yaml:"decode_step_ms" json:"decode_step_ms"`
	DecodeStepMinMS        float64    `yaml:"decode_step_min_ms" json:"decode_step_min_ms"`
	GPUMemoryBytes         float64    `yaml:"gpu_memory_bytes" json:"gpu_memory_bytes"`
	GPUMemoryUtilization   float64    `yaml:"gpu_memory_utilization" json:"gpu_memory_utilization"`
	WeightsBytes           float64    `yaml:"weights_bytes" json:"weights_bytes"`
	KVBytesPerToken        float64    `yaml:"kv_bytes_per_token" json:"kv_bytes_per_token"`
	TransferBytesPerSecond float64    `yaml:"transfer_bytes_per_second" json:"transfer_bytes_per_second"`
	StartupDelay           Duration   `yaml:"startup_delay" json:"startup_delay"`
	MaxNumSeqs             int        `yaml:"max_num_seqs" json:"max_num_seqs"`
	Watermark              float64    `yaml:"watermark" json:"watermark"`
	// GPUIdleWatts and GPUBusyWatts model an engine GPU's power: idle
	// while it holds its worker without computing, busy while a step runs
	// (plannerbench's modelled power; 0 turns it off).
	GPUIdleWatts float64 `yaml:"gpu_idle_watts,omitempty" json:"gpu_idle_watts,omitempty"`
	GPUBusyWatts float64 `yaml:"gpu_busy_watts,omitempty" json:"gpu_busy_watts,omitempty"`
	// KVTokens, when > 0, is the KV capacity of one engine in tokens as
	// measured (Dynamo's profiler reports max_kv_tokens), used instead of
	// the memory arithmetic.
	KVTokens int `yaml:"kv_capacity_tokens,omitempty" json:"kv_capacity_tokens,omitempty"`
	// PrefillBatchCost says how prefill_ms prices several prompt chunks
	// computed in one engine step: PrefillPerPrompt (the default) sums
	// prefill_ms of each chunk, PrefillBatchTokens evaluates prefill_ms once
	// on the chunks' total tokens.
	PrefillBatchCost string `yaml:"prefill_batch_cost,omitempty" json:"prefill_batch_cost,omitempty"`
}

// Prefill batch cost models (Profile.PrefillBatchCost).
const (
	// PrefillPerPrompt prices each prompt chunk of a step on its own and
	// adds them, as the mid-2025 Dynamo mocker does (ai-dynamo/dynamo
	// lib/llm/src/mocker/kv_manager.rs get_prefill_cost, one cost a
	// sequence, added to the step in scheduler.rs, both at commit
	// 009ec7874d33aa3e5de3f1b3df25b9803970357d).
	PrefillPerPrompt = "per_prompt"
	// PrefillBatchTokens prices a step's prompt chunks as one prefill of
	// their total new tokens, as the 2026 mocker's performance model does
	// (ai-dynamo/dynamo lib/mocker/src/common/perf_model.rs
	// predict_prefill_time, "total new tokens across the batch", commit
	// 0894f5c6edaf0c3d2393b1b273d0bce5587b0183).
	PrefillBatchTokens = "batch_tokens"
)

// PrefillStepTime is the prefill part of one engine step that computes
// the given prompt chunks (new tokens each); zero for no chunks.
func (p *Profile) PrefillStepTime(chunks []int) time.Duration {
	if len(chunks) == 0 {
		return 0
	}
	if p.PrefillBatchCost == PrefillBatchTokens {
		total := 0
		for _, c := range chunks {
			total += c
		}
		return p.PrefillTime(total)
	}
	var d time.Duration
	for _, c := range chunks {
		d += p.PrefillTime(c)
	}
	return d
}

// MaxNumSequences is max_num_seqs: sequences one decode engine holds.
func (p *Profile) MaxNumSequences() int { return p.MaxNumSeqs }

// PrefillTime is the time to prefill tokens new tokens.
func (p *Profile) PrefillTime(tokens int) time.Duration {
	return msToDuration(math.Max(0, p.PrefillMS.At(float64(tokens))))
}

// DecodeStepTime is the time of one decode step at KV utilisation util.
func (p *Profile) DecodeStepTime(util float64) time.Duration {
	return msToDuration(math.Max(p.DecodeStepMinMS, p.DecodeStepMS.At(util)))
}

// TransferTime is the time to move the KV cache of tokens tokens from a
// prefill worker to a decode worker.
func (p *Profile) TransferTime(tokens int) time.Duration {
	return time.Duration(float64(tokens) * p.KVBytesPerToken / p.TransferBytesPerSecond * float64(time.Second))
}

// EnergyJ is the modelled energy of one GPU that has held a worker for
// alive and computed for busy: idle watts all along, plus the difference
// to busy watts while computing.
func (p *Profile) EnergyJ(alive, busy time.Duration) float64 {
	return p.GPUIdleWatts*alive.Seconds() + (p.GPUBusyWatts-p.GPUIdleWatts)*busy.Seconds()
}

// KVCapacityTokens is how many tokens of KV cache one engine holds.
func (p *Profile) KVCapacityTokens() int {
	if p.KVTokens > 0 {
		return p.KVTokens
	}
	return int((p.GPUMemoryBytes*p.GPUMemoryUtilization - p.WeightsBytes) / p.KVBytesPerToken)
}

func msToDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// Validate returns every problem with the profile.
func (p *Profile) Validate() error {
	var errs []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	check(p.Name != "", "name: must not be empty")
	check(len(p.PrefillMS) > 0, "prefill_ms: needs at least one coefficient")
	check(len(p.DecodeStepMS) > 0, "decode_step_ms: needs at least one coefficient")
	check(p.DecodeStepMS.At(0) > 0 || p.DecodeStepMinMS > 0, "decode_step_ms: a step at zero load must take time (or set decode_step_min_ms)")
	check(p.KVBytesPerToken > 0, "kv_bytes_per_token: must be > 0")
	check(p.GPUMemoryUtilization > 0 && p.GPUMemoryUtilization <= 1, "gpu_memory_utilization: must be within (0, 1]")
	check(p.KVBytesPerToken <= 0 || p.KVCapacityTokens() > 0, "gpu_memory_bytes, weights_bytes: leave no room for KV cache")
	check(p.TransferBytesPerSecond > 0, "transfer_bytes_per_second: must be > 0")
	check(p.StartupDelay >= 0, "startup_delay: must be >= 0")
	check(p.MaxNumSeqs > 0, "max_num_seqs: must be > 0")
	check(p.Watermark >= 0 && p.Watermark < 1, "watermark: must be within [0, 1)")
	check(p.GPUIdleWatts >= 0 && p.GPUBusyWatts >= p.GPUIdleWatts, "gpu_busy_watts: must be >= gpu_idle_watts (%v), got %v", p.GPUIdleWatts, p.GPUBusyWatts)
	check(p.PrefillBatchCost == "" || p.PrefillBatchCost == PrefillPerPrompt || p.PrefillBatchCost == PrefillBatchTokens,
		"prefill_batch_cost: must be %s or %s, got %q", PrefillPerPrompt, PrefillBatchTokens, p.PrefillBatchCost)
	if len(errs) > 0 {
		return fmt.Errorf("profile %s: %s", p.Name, strings.Join(errs, "; "))
	}
	return nil
}
