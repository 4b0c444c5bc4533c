// Package report compares a matrix's cases against a baseline (README, Comparison report;
// the seed's "1.5x speedup while using 7.4% less GPU resources") and renders
// the comparison as a table, JSON, charts and a self-contained HTML page.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Case is one case's results as the report reads them.
type Case struct {
	ID     string       `json:"id"`
	Dir    string       `json:"dir"`
	Spec   schemas.Case `json:"spec"`
	Status string       `json:"status"`
	// Source is "aiperf" for a case read from an AIPerf run's exports;
	// such a case joins every group of the comparison.
	Source  string          `json:"source,omitempty"`
	Error   string          `json:"error,omitempty"`
	Summary results.Summary `json:"summary"`
}

// Ratios compare a case with its baseline. Speedups are baseline / case
// (above 1: the case is faster); throughput and GPU ratios are case /
// baseline.
type Ratios struct {
	Speedup          float64 `json:"speedup"` // average request latency
	TTFTP50Speedup   float64 `json:"ttft_p50_speedup"`
	TTFTP90Speedup   float64 `json:"ttft_p90_speedup"`
	TTFTP99Speedup   float64 `json:"ttft_p99_speedup"`
	ITLP50Speedup    float64 `json:"itl_p50_speedup"`
	ITLP90Speedup    float64 `json:"itl_p90_speedup"`
	ITLP99Speedup    float64 `json:"itl_p99_speedup"`
	ThroughputRatio  float64 `json:"throughput_ratio"`
	GoodputRatio     float64 `json:"goodput_ratio"`
	GPURatio         float64 `json:"gpu_ratio"`        // time-averaged num_gpu
	GPULessPercent   float64 `json:"gpu_less_percent"` // (1 - GPURatio) * 100
	GPUHoursRatio    float64 `json:"gpu_hours_ratio"`  // GPUs held, integrated
	GPUHoursLessPct  float64 `json:"gpu_hours_less_percent"`
	RequestsRatio    float64 `json:"requests_ratio"`
	ErrorsDifference int     `json:"errors_difference"`
	// Energy, when both cases have GPU telemetry: the case's energy per
	// output token over the baseline's, and the joules it saved in total
	// (baseline minus case; negative when it used more).
	EnergyPerTokenRatio float64 `json:"energy_per_token_ratio,omitempty"`
	EnergySavedJ        float64 `json:"energy_saved_j,omitempty"`
}

// deploymentLabel is what the table shows in its deployment column: the
// starting deployment, or "aiperf" for an AIPerf run's exports.
func deploymentLabel(c Case) string {
	if c.Source == SourceAIPerf {
		return SourceAIPerf
	}
	return c.Spec.Deployment.String()
}

// Row is one case in a comparison group.
type Row struct {
	Case
	GPUHours float64 `json:"gpu_hours"`
	Baseline bool    `json:"baseline"`
	Ratios   *Ratios `json:"ratios,omitempty"`
	Sentence string  `json:"sentence,omitempty"`
}

// Group holds the cases that ran the same trace (same rate axis and repeat).
type Group struct {
	Key      string `json:"key"`
	Baseline string `json:"baseline"`
	Rows     []Row  `json:"rows"`
}

// Comparison is comparison.json.
type Comparison struct {
	Matrix    string   `json:"matrix"`
	Baseline  string   `json:"baseline"`
	Groups    []Group  `json:"groups"`
	Sentences []string `json:"sentences"`
	// EnergySentences compare energy per output token, where telemetry
	// (measured or modelled) exists for both cases.
	EnergySentences []string `json:"energy_sentences,omitempty"`
	// Published is the reference a matrix of the seed's trace is compared
	// with by eye: the figures the Dynamo guide published (not measured
	// here).
	Published []Published `json:"published,omitempty"`
}

// Compare builds the comparison. baseline names a case by its name in the
// matrix (the baseline of every group that ran it), its expanded id or its
// folder's name; a name that fits two cases of one group is an error that
// lists them. Empty picks the first case whose planner is noop, else the
// first case.
func Compare(matrix string, cases []Case, baseline string) (Comparison, error) {
	if len(cases) == 0 {
		return Comparison{}, fmt.Errorf("matrix %s has no case to compare", matrix)
	}
	if baseline == "" {
		baseline = cases[0].Spec.Name
		for _, c := range cases {
			if c.Spec.Planner.Mode == schemas.PlannerNoop {
				baseline = c.Spec.Name
				break
			}
		}
	}
	var names []string
	found := false
	for _, c := range cases {
		found = found || namesCase(c, baseline)
		names = append(names, caseNames(c))
	}
	if !found {
		return Comparison{}, fmt.Errorf("baseline %q is not a case of matrix %s (its cases: %s)", baseline, matrix, strings.Join(names, "; "))
	}
	cmp := Comparison{Matrix: matrix, Baseline: baseline, Published: PublishedFor(cases)}
	groups := map[string]*Group{}
	var keys []string
	var external []Case
	for _, c := range cases {
		if c.Source == SourceAIPerf {
			external = append(external, c)
			continue
		}
		k := groupKey(c.Spec)
		g, ok := groups[k]
		if !ok {
			g = &Group{Key: k}
			groups[k] = g
			keys = append(keys, k)
		}
		g.Rows = append(g.Rows, Row{Case: c, GPUHours: c.Summary.GPUSeconds / 3600})
	}
	if len(keys) == 0 && len(external) > 0 {
		groups[""] = &Group{}
		keys = append(keys, "")
	}
	for _, k := range keys {
		g := groups[k]
		for _, c := range external { // an AIPerf run sits beside every group
			g.Rows = append(g.Rows, Row{Case: c})
		}
	}
	for _, k := range keys {
		g := groups[k]
		var base *Row
		var matched []string
		for i := range g.Rows {
			if namesCase(g.Rows[i].Case, baseline) {
				base = &g.Rows[i]
				matched = append(matched, caseNames(g.Rows[i].Case))
			}
		}
		if len(matched) > 1 {
			return Comparison{}, fmt.Errorf("baseline %q is ambiguous in matrix %s: it names %d cases that ran the same trace (%s); name one by its id or folder",
				baseline, matrix, len(matched), strings.Join(matched, "; "))
		}
		if base == nil {
			cmp.Groups = append(cmp.Groups, *g)
			continue
		}
		base.Baseline, g.Baseline = true, base.ID
		for i := range g.Rows {
			r := &g.Rows[i]
			if r.Baseline || !usable(r.Case) || !usable(base.Case) {
				continue
			}
			rat := ratios(r.Summary, base.Summary)
			r.Ratios = &rat
			r.Sentence = Sentence(r.Spec.Name, base.Spec.Name, rat)
			cmp.Sentences = append(cmp.Sentences, r.Sentence+groupSuffix(k))
			if s := EnergySentence(r.Spec.Name, base.Spec.Name, r.Summary.Energy, base.Summary.Energy); s != "" {
				cmp.EnergySentences = append(cmp.EnergySentences, s+groupSuffix(k))
			}
		}
		cmp.Groups = append(cmp.Groups, *g)
	}
	sort.SliceStable(cmp.Groups, func(i, j int) bool { return cmp.Groups[i].Key < cmp.Groups[j].Key })
	return cmp, nil
}

func usable(c Case) bool {
	return c.Status != "failed" && c.Summary.Completed > 0
}

// groupKey identifies the trace a case ran: its rate axis and repeat.
func groupKey(c schemas.Case) string {
	k := ""
	if c.Trace.Synth != nil && c.Trace.Synth.IsGiven("request-rate-min") {
		k = fmt.Sprintf("rr%g-%g", c.Trace.Synth.RequestRateMin, c.Trace.Synth.RequestRateMax)
	}
	if c.Repeat > 1 {
		k += fmt.Sprintf(" rep%d", c.Repeat)
	}
	return k
}

func groupSuffix(k string) string {
	if k == "" {
		return ""
	}
	return " (" + k + ")"
}

func ratios(c, b results.Summary) Ratios {
	r := Ratios{
		Speedup:        div(b.AvgRequestLatencyMS, c.AvgRequestLatencyMS),
		TTFTP50Speedup: div(b.TTFTMS.P50, c.TTFTMS.P50), TTFTP90Speedup: div(b.TTFTMS.P90, c.TTFTMS.P90), TTFTP99Speedup: div(b.TTFTMS.P99, c.TTFTMS.P99),
		ITLP50Speedup: div(b.ITLMS.P50, c.ITLMS.P50), ITLP90Speedup: div(b.ITLMS.P90, c.ITLMS.P90), ITLP99Speedup: div(b.ITLMS.P99, c.ITLMS.P99),
		ThroughputRatio:  div(c.OutputTokenThroughput, b.OutputTokenThroughput),
		GoodputRatio:     div(c.Goodput, b.Goodput),
		GPURatio:         known(div(c.AvgNumGPU, b.AvgNumGPU), c.AvgNumGPU),
		GPUHoursRatio:    known(div(c.GPUSeconds, b.GPUSeconds), c.GPUSeconds),
		RequestsRatio:    div(float64(c.Completed), float64(b.Completed)),
		ErrorsDifference: c.Errors - b.Errors,
	}
	if c.Energy != nil && b.Energy != nil && b.Energy.PerOutputTokenJ > 0 {
		r.EnergyPerTokenRatio = c.Energy.PerOutputTokenJ / b.Energy.PerOutputTokenJ
		r.EnergySavedJ = b.Energy.EnergyJ - c.Energy.EnergyJ
	}
	r.GPULessPercent = (1 - r.GPURatio) * 100
	r.GPUHoursLessPct = (1 - r.GPUHoursRatio) * 100
	return r
}

// known is v, or NaN when the case's own figure is 0: a case that did not
// record it (an AIPerf run knows no GPU count), not one that used none.
func known(v, own float64) float64 {
	if own == 0 {
		return math.NaN()
	}
	return v
}

func div(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// Sentence states a comparison in the seed's words: "planner achieves 1.5x
// speedup while using 7.4% less GPU resources than 2p2d".
func Sentence(name, baseline string, r Ratios) string {
	var speed string
	switch {
	case math.IsNaN(r.Speedup):
		speed = "has no comparable latency"
	case r.Speedup >= 1:
		speed = fmt.Sprintf("achieves %.1fx speedup", r.Speedup)
	default:
		speed = fmt.Sprintf("is %.1fx slower", 1/r.Speedup)
	}
	var gpu string
	switch {
	case math.IsNaN(r.GPURatio):
		return fmt.Sprintf("%s %s compared with %s (no GPU usage to compare)", name, speed, baseline)
	case r.GPULessPercent >= 0:
		gpu = fmt.Sprintf("while using %.1f%% less GPU resources", r.GPULessPercent)
	default:
		gpu = fmt.Sprintf("while using %.1f%% more GPU resources", -r.GPULessPercent)
	}
	return fmt.Sprintf("%s %s %s than %s", name, speed, gpu, baseline)
}

// EnergySentence compares energy per output token: "planner used 0.412 J
// per output token, 18.2% less than 2p2d (0.504 J; 95.1 kJ saved in all,
// modelled)". Empty without telemetry for both.
func EnergySentence(name, baseline string, c, b *results.Energy) string {
	if c == nil || b == nil || c.PerOutputTokenJ <= 0 || b.PerOutputTokenJ <= 0 {
		return ""
	}
	less := (1 - c.PerOutputTokenJ/b.PerOutputTokenJ) * 100
	word := "less"
	if less < 0 {
		word, less = "more", -less
	}
	saved := b.EnergyJ - c.EnergyJ
	verb := "saved"
	if saved < 0 {
		verb, saved = "spent extra", -saved
	}
	return fmt.Sprintf("%s used %.3f J per output token, %.1f%% %s than %s (%.3f J; %.1f kJ %s in all, %s)",
		name, c.PerOutputTokenJ, less, word, baseline, b.PerOutputTokenJ, saved/1000, verb, c.Source)
}

// MarshalJSON writes ratios that could not be computed (NaN) as null:
// JSON has no NaN.
func (r Ratios) MarshalJSON() ([]byte, error) {
	type plain Ratios
	data, err := json.Marshal(nanFree(plain(r)))
	if err != nil {
		return nil, fmt.Errorf("ratios: %w", err)
	}
	return data, nil
}

// nanFree returns v's exported fields as a map, NaN floats as nil.
func nanFree(v any) map[string]any {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	out := make(map[string]any, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		val := rv.Field(i).Interface()
		if x, ok := val.(float64); ok {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				val = nil
			} else if x == 0 && strings.Contains(opts, "omitempty") {
				continue
			}
		}
		out[name] = val
	}
	return out
}

// namesCase reports whether name is c's name in its matrix, its id or its
// folder's name: any of the names a user may give a case.
func namesCase(c Case, name string) bool {
	return name != "" && (c.Spec.Name == name || c.ID == name || (c.Dir != "" && filepath.Base(c.Dir) == name))
}

// caseNames lists the names a case answers to, for an error message.
func caseNames(c Case) string {
	out := "id " + c.ID
	if c.Spec.Name != "" && c.Spec.Name != c.ID {
		out += ", name " + c.Spec.Name
	}
	if c.Dir != "" && filepath.Base(c.Dir) != c.ID {
		out += ", folder " + filepath.Base(c.Dir)
	}
	return out
}
