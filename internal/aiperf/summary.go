package aiperf

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// MetricResult is AIPerf's JsonMetricResult: a unit and the statistics
// that apply (absent ones are left out, as AIPerf's exclude_if_none does).
type MetricResult struct {
	Unit string   `json:"unit"`
	Avg  *float64 `json:"avg,omitempty"`
	P1   *float64 `json:"p1,omitempty"`
	P5   *float64 `json:"p5,omitempty"`
	P10  *float64 `json:"p10,omitempty"`
	P25  *float64 `json:"p25,omitempty"`
	P50  *float64 `json:"p50,omitempty"`
	P75  *float64 `json:"p75,omitempty"`
	P90  *float64 `json:"p90,omitempty"`
	P95  *float64 `json:"p95,omitempty"`
	P99  *float64 `json:"p99,omitempty"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Std  *float64 `json:"std,omitempty"`
}

// ErrorCount is AIPerf's ErrorDetailsCount.
type ErrorCount struct {
	ErrorDetails ErrorDetails `json:"error_details"`
	Count        int          `json:"count"`
}

// InputConfig is the part of AIPerf's UserConfig plannerbench can state
// (aiperf/common/models/config/endpoint_config.py @1071af07: type,
// streaming, url).
type InputConfig struct {
	ModelNames []string       `json:"model_names"`
	Endpoint   EndpointConfig `json:"endpoint"`
}

// EndpointConfig is AIPerf's EndPointConfig, the fields plannerbench uses.
type EndpointConfig struct {
	Type      string `json:"type"`
	Streaming bool   `json:"streaming"`
	URL       string `json:"url,omitempty"`
}

// Summary is profile_export_aiperf.json (AIPerf's JsonExportData), with
// plannerbench's own facts under "plannerbench" (JsonExportData allows
// extra keys).
type Summary struct {
	SchemaVersion         string        `json:"schema_version"`
	BenchmarkID           string        `json:"benchmark_id"`
	RequestThroughput     *MetricResult `json:"request_throughput,omitempty"`
	RequestLatency        *MetricResult `json:"request_latency,omitempty"`
	RequestCount          *MetricResult `json:"request_count,omitempty"`
	TimeToFirstToken      *MetricResult `json:"time_to_first_token,omitempty"`
	InterTokenLatency     *MetricResult `json:"inter_token_latency,omitempty"`
	OutputTokenThroughput *MetricResult `json:"output_token_throughput,omitempty"`
	OutputSequenceLength  *MetricResult `json:"output_sequence_length,omitempty"`
	InputSequenceLength   *MetricResult `json:"input_sequence_length,omitempty"`
	Goodput               *MetricResult `json:"goodput,omitempty"`
	GoodRequestCount      *MetricResult `json:"good_request_count,omitempty"`
	MinRequestTimestamp   *MetricResult `json:"min_request_timestamp,omitempty"`
	MaxResponseTimestamp  *MetricResult `json:"max_response_timestamp,omitempty"`
	BenchmarkDuration     *MetricResult `json:"benchmark_duration,omitempty"`
	TotalISL              *MetricResult `json:"total_isl,omitempty"`
	TotalOSL              *MetricResult `json:"total_osl,omitempty"`
	ErrorRequestCount     *MetricResult `json:"error_request_count,omitempty"`
	ErrorISL              *MetricResult `json:"error_isl,omitempty"`
	InputConfig           *InputConfig  `json:"input_config,omitempty"`
	WasCancelled          bool          `json:"was_cancelled"`
	ErrorSummary          []ErrorCount  `json:"error_summary"`
	StartTime             string        `json:"start_time,omitempty"`
	EndTime               string        `json:"end_time,omitempty"`
	Plannerbench          *Facts        `json:"plannerbench,omitempty"`
}

// Facts are plannerbench's additions to the summary.
type Facts struct {
	Case       string  `json:"case"`
	TimeScale  float64 `json:"time_scale"`
	Deployment string  `json:"deployment,omitempty"`
	Planner    string  `json:"planner,omitempty"`
	AvgNumGPU  float64 `json:"avg_num_gpu,omitempty"`
}

// Info is what the exports say about the run besides its records.
type Info struct {
	CaseID, Model, URL, Worker string
	Spec                       *schemas.Case
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func distribution(unit string, d results.Distribution) *MetricResult {
	if d.Count == 0 {
		return nil
	}
	return &MetricResult{Unit: unit, Avg: ptr(d.Avg), P1: ptr(d.P1), P5: ptr(d.P5), P10: ptr(d.P10), P25: ptr(d.P25),
		P50: ptr(d.P50), P75: ptr(d.P75), P90: ptr(d.P90), P95: ptr(d.P95), P99: ptr(d.P99),
		Min: ptr(d.Min), Max: ptr(d.Max), Std: ptr(d.Std)}
}

func single(unit string, v float64) *MetricResult { return &MetricResult{Unit: unit, Avg: ptr(v)} }

// errKey is how AIPerf counts errors: by (code, type, message)
// (ErrorDetails.__eq__).
type errKey struct {
	code      int32
	hasCode   bool
	typ, text string
}

// tally is what the summary and the CSV need from the exported records
// beyond results.Summary, gathered in one pass.
type tally struct {
	first, last time.Time
	// sums are per metric over the completed requests' values: the CSV's
	// sum column, and total_isl and total_osl.
	sums    map[string]float64
	errISL  float64
	errs    map[errKey]int
	errKeys []errKey
}

func newTally() *tally { return &tally{sums: map[string]float64{}, errs: map[errKey]int{}} }

// add counts one exported record.
func (t *tally) add(rec Record) {
	start, end := time.Unix(0, rec.Metadata.RequestStartNS), time.Unix(0, rec.Metadata.RequestEndNS)
	if t.first.IsZero() || start.Before(t.first) {
		t.first = start
	}
	if end.After(t.last) {
		t.last = end
	}
	if rec.Error == nil {
		for tag, v := range rec.Metrics {
			t.sums[tag] += v.Value
		}
		return
	}
	t.errISL += rec.Metrics[mErrorISL.tag].Value
	k := errKey{typ: rec.Error.Type, text: rec.Error.Message}
	if rec.Error.Code != nil {
		k.code, k.hasCode = *rec.Error.Code, true
	}
	if t.errs[k] == 0 {
		t.errKeys = append(t.errKeys, k)
	}
	t.errs[k]++
}

// tallyOf counts recs as they are exported (skipped rows are not).
func tallyOf(info Info, recs []schemas.RequestRecord) *tally {
	t := newTally()
	for i := range recs {
		if rec, ok := RecordOf(info.CaseID, info.Worker, &recs[i]); ok {
			t.add(rec)
		}
	}
	return t
}

func summaryFrom(info Info, s results.Summary, t *tally) Summary {
	out := Summary{
		SchemaVersion: SchemaVersion, BenchmarkID: info.CaseID,
		RequestLatency:       distribution(mRequestLatency.unit, s.RequestLatencyMS),
		TimeToFirstToken:     distribution(mTTFT.unit, s.TTFTMS),
		InterTokenLatency:    distribution(mITL.unit, s.ITLMS),
		OutputSequenceLength: distribution(mOSL.unit, s.OutputTokens),
		InputSequenceLength:  distribution(mISL.unit, s.InputTokens),
		RequestCount:         single(mRequestCount.unit, float64(s.Completed)),
		ErrorRequestCount:    single(mErrorCount.unit, float64(s.Errors+s.Interrupted)),
		InputConfig:          &InputConfig{ModelNames: []string{info.Model}, Endpoint: EndpointConfig{Type: "chat", Streaming: true, URL: info.URL}},
		WasCancelled:         s.Interrupted > 0,
		ErrorSummary:         []ErrorCount{},
		Plannerbench:         &Facts{Case: info.CaseID, TimeScale: s.TimeScale, AvgNumGPU: s.AvgNumGPU},
	}
	if info.Spec != nil {
		out.Plannerbench.Deployment, out.Plannerbench.Planner = info.Spec.Deployment.String(), info.Spec.Planner.Mode
	}
	if s.DurationS > 0 {
		out.RequestThroughput = single(mRequestThrough.unit, s.RequestThroughput)
		out.OutputTokenThroughput = single(mOutputThrough.unit, s.OutputTokenThroughput)
		out.BenchmarkDuration = single(mDuration.unit, s.DurationS)
		if s.SLO.TTFTMS > 0 || s.SLO.ITLMS > 0 {
			out.Goodput = single(mGoodput.unit, s.Goodput)
			out.GoodRequestCount = single(mGoodCount.unit, float64(s.GoodRequests))
		}
	}
	if !t.first.IsZero() {
		out.StartTime, out.EndTime = timeISO(t.first), timeISO(t.last)
		out.MinRequestTimestamp = single(mMinRequestTime.unit, float64(t.first.UnixNano()))
		out.MaxResponseTimestamp = single(mMaxResponseTime.unit, float64(t.last.UnixNano()))
	}
	if s.Completed > 0 {
		out.TotalISL, out.TotalOSL = single(mTotalISL.unit, t.sums[mISL.tag]), single(mTotalOSL.unit, t.sums[mOSL.tag])
	}
	if t.errISL > 0 {
		out.ErrorISL = single(mErrorISL.unit, t.errISL)
	}
	for _, k := range t.errKeys {
		d := ErrorDetails{Type: k.typ, Message: k.text}
		if k.hasCode {
			code := k.code
			d.Code = &code
		}
		out.ErrorSummary = append(out.ErrorSummary, ErrorCount{ErrorDetails: d, Count: t.errs[k]})
	}
	sort.SliceStable(out.ErrorSummary, func(i, j int) bool { return out.ErrorSummary[i].Count > out.ErrorSummary[j].Count })
	return out
}

// WriteSummaryJSON writes profile_export_aiperf.json.
func WriteSummaryJSON(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// statKeys is AIPerf's STAT_KEYS (the CSV's columns after Metric).
var statKeys = []string{"avg", "min", "max", "sum", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "std"}

// WriteSummaryCSV writes profile_export_aiperf.csv in AIPerf's two-section
// layout; sums come from the records (AIPerf's MetricResult.sum).
func WriteSummaryCSV(w io.Writer, s Summary, sums map[string]float64) error {
	cw := csv.NewWriter(w)
	type row struct {
		m metric
		r *MetricResult
	}
	var request, system []row
	for _, x := range []row{
		{mRequestLatency, s.RequestLatency}, {mTTFT, s.TimeToFirstToken}, {mITL, s.InterTokenLatency},
		{mOSL, s.OutputSequenceLength}, {mISL, s.InputSequenceLength},
		{mRequestThrough, s.RequestThroughput}, {mOutputThrough, s.OutputTokenThroughput}, {mRequestCount, s.RequestCount},
		{mErrorCount, s.ErrorRequestCount}, {mGoodput, s.Goodput}, {mGoodCount, s.GoodRequestCount},
		{mDuration, s.BenchmarkDuration}, {mTotalISL, s.TotalISL}, {mTotalOSL, s.TotalOSL}, {mErrorISL, s.ErrorISL},
		{mMinRequestTime, s.MinRequestTimestamp}, {mMaxResponseTime, s.MaxResponseTimestamp},
	} {
		switch {
		case x.r == nil:
		case x.r.P50 != nil:
			request = append(request, x)
		default:
			system = append(system, x)
		}
	}
	// AIPerf sorts each section by tag.
	sort.Slice(request, func(i, j int) bool { return request[i].m.tag < request[j].m.tag })
	sort.Slice(system, func(i, j int) bool { return system[i].m.tag < system[j].m.tag })
	if len(request) > 0 {
		_ = cw.Write(append([]string{"Metric"}, statKeys...))
		for _, x := range request {
			r := x.r
			var sum *float64
			if v, ok := sums[x.m.tag]; ok {
				sum = &v
			}
			vals := []*float64{r.Avg, r.Min, r.Max, sum, r.P1, r.P5, r.P10, r.P25, r.P50, r.P75, r.P90, r.P95, r.P99, r.Std}
			rec := []string{name(x.m)}
			for _, v := range vals {
				rec = append(rec, number(v, false))
			}
			_ = cw.Write(rec)
		}
		if len(system) > 0 {
			_ = cw.Write(nil) // the blank row between the sections
		}
	}
	if len(system) > 0 {
		_ = cw.Write([]string{"Metric", "Value"})
		for _, x := range system {
			integral := x.m.unit == "requests" || x.m.unit == "tokens" || x.m.unit == "ns"
			_ = cw.Write([]string{name(x.m), number(x.r.Avg, integral)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// name is AIPerf's _format_metric_name: "Header (unit)", no unit for
// count and requests.
func name(m metric) string {
	if u := strings.ToLower(m.unit); u == "count" || u == "requests" {
		return m.header
	}
	return fmt.Sprintf("%s (%s)", m.header, m.unit)
}

// number is AIPerf's _format_number: integers as such, reals with two
// decimals, missing as empty.
func number(v *float64, integral bool) string {
	if v == nil {
		return ""
	}
	if integral && *v == math.Trunc(*v) {
		return strconv.FormatInt(int64(*v), 10)
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}
