package aiperf

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Field names as AIPerf's models declare them (the commits in the package
// comment): what plannerbench writes must be among them.
var (
	metadataFields = set("session_num", "x_request_id", "x_correlation_id", "conversation_id", "turn_index",
		"credit_issued_ns", "request_start_ns", "request_ack_ns", "request_end_ns", "worker_id",
		"record_processor_id", "benchmark_phase", "was_cancelled", "cancellation_time_ns", "agent_depth",
		"parent_correlation_id") // MetricRecordMetadata
	metadataRequired = []string{"session_num", "request_start_ns", "request_end_ns", "worker_id", "record_processor_id", "benchmark_phase"}
	recordFields     = set("metadata", "metrics", "trace_data", "error") // MetricRecordInfo
	metricValueField = set("value", "unit")                              // MetricValue
	errorFields      = set("message", "code", "type", "cause", "cause_chain", "details")
	jsonMetricFields = set("unit", "avg", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "min", "max", "std",
		"adj_p50", "adj_p90", "adj_p95", "adj_p99") // JsonMetricResult
	exportFields = set("schema_version", "aiperf_version", "benchmark_id", "request_throughput", "request_latency",
		"request_count", "time_to_first_token", "time_to_second_token", "inter_token_latency", "output_token_throughput",
		"output_token_throughput_per_user", "output_sequence_length", "input_sequence_length", "goodput",
		"good_request_count", "output_token_count", "reasoning_token_count", "min_request_timestamp",
		"max_response_timestamp", "inter_chunk_latency", "total_output_tokens", "total_reasoning_tokens",
		"benchmark_duration", "total_isl", "total_osl", "error_request_count", "error_isl", "total_error_isl",
		"telemetry_data", "input_config", "was_cancelled", "error_summary", "start_time", "end_time") // JsonExportData
	statKeysUpstream = []string{"avg", "min", "max", "sum", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "std"}
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func requireSubset(t *testing.T, what string, got map[string]json.RawMessage, allowed map[string]bool) {
	t.Helper()
	for k := range got {
		require.True(t, allowed[k], "%s: field %q is not in AIPerf's model", what, k)
	}
}

// fourRequests: latencies 100..400 ms, TTFT 10..40 ms, 11 output tokens,
// one more request failing with HTTP 503 and one skipped.
func fourRequests() []schemas.RequestRecord {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var recs []schemas.RequestRecord
	for i := 0; i < 4; i++ {
		r := schemas.NewRequestRecord(int64(i), &schemas.TraceRecord{InputLength: 1000, OutputLength: 11})
		r.Status, r.Attempt, r.PromptTokens, r.CompletionTokens, r.Chunks = schemas.StatusOK, 1, 1000, 11, 11
		sent := t0.Add(time.Duration(i) * time.Second)
		r.AckAt = sent.Add(2 * time.Millisecond)
		r.SetTimings(sent, sent.Add(time.Duration(10*(i+1))*time.Millisecond), sent.Add(time.Duration(100*(i+1))*time.Millisecond), 11, 1)
		recs = append(recs, r)
	}
	bad := schemas.NewRequestRecord(4, &schemas.TraceRecord{InputLength: 500, OutputLength: 11})
	bad.Status, bad.ErrorClass, bad.Error, bad.HTTPStatus, bad.Attempt = schemas.StatusError, schemas.ErrClassHTTP, "overloaded", 503, 1
	bad.SentAt, bad.EndAt = t0.Add(5*time.Second), t0.Add(5*time.Second+time.Millisecond)
	skipped := schemas.NewRequestRecord(5, &schemas.TraceRecord{InputLength: 500, OutputLength: 11})
	skipped.Status = schemas.StatusSkipped
	return append(recs, bad, skipped)
}

func TestRecordsUseAIPerfFieldNames(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteRecords(&buf, "planner", "node-a", fourRequests()))
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		n++
		var rec map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		requireSubset(t, "record", rec, recordFields)
		var md map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec["metadata"], &md))
		requireSubset(t, "metadata", md, metadataFields)
		for _, k := range metadataRequired {
			require.Contains(t, md, k)
		}
		var metrics map[string]map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec["metrics"], &metrics))
		for tag, v := range metrics {
			requireSubset(t, "metric "+tag, v, metricValueField)
		}
		if string(rec["error"]) != "null" {
			var e map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(rec["error"], &e))
			requireSubset(t, "error", e, errorFields)
		}
	}
	require.Equal(t, 5, n, "four completed and one failed request; the skipped one was never sent")
}

func TestRecordValues(t *testing.T) {
	recs := fourRequests()
	r, ok := RecordOf("planner", "node-a", &recs[1])
	require.True(t, ok)
	require.Equal(t, recs[1].SentAt.UnixNano(), r.Metadata.RequestStartNS)
	require.Equal(t, recs[1].SentAt.Add(2*time.Millisecond).UnixNano(), *r.Metadata.RequestAckNS)
	require.Equal(t, recs[1].SentAt.Add(200*time.Millisecond).UnixNano(), r.Metadata.RequestEndNS)
	require.Equal(t, MetricValue{200, "ms"}, r.Metrics["request_latency"])
	require.Equal(t, MetricValue{20, "ms"}, r.Metrics["time_to_first_token"])
	require.Equal(t, MetricValue{18, "ms"}, r.Metrics["inter_token_latency"]) // (200-20)/(11-1)
	require.Equal(t, MetricValue{11, "tokens"}, r.Metrics["output_sequence_length"])
	require.Equal(t, "profiling", r.Metadata.BenchmarkPhase)
	bad, _ := RecordOf("planner", "node-a", &recs[4])
	require.Equal(t, int32(503), *bad.Error.Code)
	require.Equal(t, "http", bad.Error.Type)
	require.Equal(t, MetricValue{500, "tokens"}, bad.Metrics["error_isl"])
	_, ok = RecordOf("planner", "node-a", &recs[5])
	require.False(t, ok)
}

// The summary's statistics, computed here by hand with numpy's
// definitions: latencies 100, 200, 300, 400 -> mean 250, population std
// sqrt(12500) = 111.803, p25 = 100 + 0.75*100 = 175, p99 = 300 + 0.97*100 = 397.
func TestSummaryJSONAndCSV(t *testing.T) {
	recs := fourRequests()
	s := results.Summarize(recs, 1, results.SLO{TTFTMS: 25})
	sum := SummaryOf(Info{CaseID: "planner", Model: "m"}, s, recs)
	var buf bytes.Buffer
	require.NoError(t, WriteSummaryJSON(&buf, sum))
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &top))
	for k := range top {
		require.True(t, exportFields[k] || k == "plannerbench", "summary field %q is not in JsonExportData", k)
	}
	for _, tag := range []string{"request_latency", "time_to_first_token", "inter_token_latency", "request_throughput", "request_count"} {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(top[tag], &m))
		requireSubset(t, tag, m, jsonMetricFields)
	}
	lat := sum.RequestLatency
	require.Equal(t, "ms", lat.Unit)
	require.InDelta(t, 250, *lat.Avg, 1e-9)
	require.InDelta(t, math.Sqrt(12500), *lat.Std, 1e-9)
	require.InDelta(t, 175, *lat.P25, 1e-9)
	require.InDelta(t, 397, *lat.P99, 1e-9)
	require.InDelta(t, 4, *sum.RequestCount.Avg, 0)
	require.InDelta(t, 1, *sum.ErrorRequestCount.Avg, 0)
	require.InDelta(t, 2, *sum.GoodRequestCount.Avg, 0) // TTFT 10 and 20 ms meet 25 ms
	// Duration: first send t0 to the last completed end t0+3.4 s.
	require.InDelta(t, 3.4, *sum.BenchmarkDuration.Avg, 1e-9)
	require.InDelta(t, 44/3.4, *sum.OutputTokenThroughput.Avg, 1e-9)
	require.InDelta(t, 4000, *sum.TotalISL.Avg, 0)
	require.Len(t, sum.ErrorSummary, 1)
	require.Equal(t, 1, sum.ErrorSummary[0].Count)

	var cbuf bytes.Buffer
	require.NoError(t, WriteSummaryCSV(&cbuf, sum, Sums("planner", recs)))
	cr := csv.NewReader(strings.NewReader(cbuf.String()))
	cr.FieldsPerRecord = -1 // two sections of different widths
	rows, err := cr.ReadAll()
	require.NoError(t, err)
	require.Equal(t, append([]string{"Metric"}, statKeysUpstream...), rows[0])
	require.Equal(t, "Input Sequence Length (tokens)", rows[1][0]) // sorted by tag: input_sequence_length first
	var latRow []string
	for _, r := range rows {
		if r[0] == "Request Latency (ms)" {
			latRow = r
		}
	}
	require.Equal(t, []string{"Request Latency (ms)", "250.00", "100.00", "400.00", "1000.00", "103.00", "115.00", "130.00", "175.00", "250.00", "325.00", "370.00", "385.00", "397.00", "111.80"}, latRow)
	require.Contains(t, cbuf.String(), "\n\nMetric,Value\n")
	require.Contains(t, cbuf.String(), "Request Count,4\n")
	require.Contains(t, cbuf.String(), "Benchmark Duration (sec),3.40\n")
}

// What plannerbench writes reads back as the same summary, and a file in
// AIPerf's own layout (with fields plannerbench does not write) reads too.
func TestReadRun(t *testing.T) {
	recs := fourRequests()
	s := results.Summarize(recs, 1, results.SLO{})
	dir := t.TempDir()
	require.NoError(t, WriteCase(dir, Info{CaseID: "planner", Model: "m"}, s, recs))
	for _, f := range []string{RecordsFile, SummaryJSONFile, SummaryCSVFile} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	run, err := ReadRun(dir)
	require.NoError(t, err)
	require.InDelta(t, s.RequestLatencyMS.P90, run.Summary.RequestLatencyMS.P90, 1e-9)
	require.InDelta(t, s.TTFTMS.Avg, run.Summary.TTFTMS.Avg, 1e-9)
	require.Equal(t, s.Completed, run.Summary.Completed)
	require.Equal(t, s.Errors, run.Summary.Errors)
	require.InDelta(t, s.DurationS, run.Summary.DurationS, 1e-9)
	require.Equal(t, "m", run.Model)

	up, err := ReadRun("testdata/aiperf_run")
	require.NoError(t, err)
	require.Equal(t, 7400, up.Summary.Completed)
	require.Equal(t, 18, up.Summary.Errors)
	require.InDelta(t, 1500, up.Summary.AvgRequestLatencyMS, 0)
	require.InDelta(t, 110, up.Summary.TTFTMS.P50, 0)
	require.InDelta(t, 592, up.Summary.DurationS, 0)
	require.Equal(t, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", up.Model)

	_, err = ReadRun(t.TempDir())
	require.ErrorIs(t, err, ErrNoExport)
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, SummaryJSONFile), []byte(`{"request_latency":{"unit":"furlongs","avg":1}}`), 0o644))
	_, err = ReadRun(bad)
	require.ErrorContains(t, err, `request_latency: unit "furlongs" is not a time unit`)
}
