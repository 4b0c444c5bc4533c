// Package aiperf writes a case's results in NVIDIA AIPerf's export formats,
// so AIPerf users' plots and dashboards take plannerbench runs, and reads
// AIPerf's summary back so a report can set an AIPerf run beside
// plannerbench's cases.
//
// The layouts follow ai-dynamo/aiperf:
//   - profile_export.jsonl, one MetricRecordInfo a request (metadata,
//     metrics as {value, unit}, error as ErrorDetails): src/aiperf/common/
//     models/record_models.py @017c63d230ace93f323d5e423e95a6bb9aad1335
//     (MetricRecordMetadata, MetricValue, MetricRecordInfo) and
//     error_models.py @028de33757d6e5d8e3d145a850a695edbdfc967b.
//   - profile_export_aiperf.json, JsonExportData: one JsonMetricResult a
//     metric tag (unit, avg, p1…p99, min, max, std) plus input_config,
//     was_cancelled, error_summary, start_time, end_time:
//     src/aiperf/common/models/export_models.py
//     @26240f9e48bd11b1890ec0bfab778fd82481869f (schema_version "1.0").
//   - profile_export_aiperf.csv, the "legacy, two-section format": request
//     metrics with percentiles under Metric + STAT_KEYS, a blank row, then
//     the single-value metrics under Metric,Value; names "Header (unit)"
//     except for count/requests units; numbers as ints or %.2f:
//     src/aiperf/exporters/metrics_csv_exporter.py
//     @309c4e8c41e937124c05de3e5a08a7954f9440fd, STAT_KEYS from
//     src/aiperf/common/constants.py @0562da4a87ff78aeac7874f07acd842b0ae8f6ff.
//
// Metric tags, headers and display units are AIPerf's (src/aiperf/metrics/
// types/*.py, e.g. request_latency_metric.py @4f7ccffd, "ms" from
// MetricTimeUnit in common/enums/metric_enums.py @03240ef5). Latencies are
// plannerbench's trace-time values (the wall values at time_scale 1);
// timestamps are wall clock (virtual, from 1970, for a replay).
package aiperf

// The files a case folder gets.
const (
	RecordsFile     = "profile_export.jsonl"
	SummaryJSONFile = "profile_export_aiperf.json"
	SummaryCSVFile  = "profile_export_aiperf.csv"
)

// SchemaVersion is JsonExportData.SCHEMA_VERSION at the cited commit.
const SchemaVersion = "1.0"

// BenchmarkPhase is AIPerf's CreditPhase.PROFILING: every plannerbench
// request is measured (there is no warm-up phase).
const BenchmarkPhase = "profiling"

// metric describes one AIPerf metric tag.
type metric struct {
	tag, header, unit string
}

// AIPerf's tags for what plannerbench measures.
var (
	mRequestLatency   = metric{"request_latency", "Request Latency", "ms"}
	mTTFT             = metric{"time_to_first_token", "Time to First Token", "ms"}
	mITL              = metric{"inter_token_latency", "Inter Token Latency", "ms"}
	mOSL              = metric{"output_sequence_length", "Output Sequence Length", "tokens"}
	mISL              = metric{"input_sequence_length", "Input Sequence Length", "tokens"}
	mErrorISL         = metric{"error_isl", "Error Input Sequence Length", "tokens"}
	mRequestThrough   = metric{"request_throughput", "Request Throughput", "requests/sec"}
	mOutputThrough    = metric{"output_token_throughput", "Output Token Throughput", "tokens/sec"}
	mRequestCount     = metric{"request_count", "Request Count", "requests"}
	mErrorCount       = metric{"error_request_count", "Error Request Count", "requests"}
	mGoodput          = metric{"goodput", "Goodput", "requests/sec"}
	mGoodCount        = metric{"good_request_count", "Good Request Count", "requests"}
	mDuration         = metric{"benchmark_duration", "Benchmark Duration", "sec"}
	mTotalOSL         = metric{"total_osl", "Total Output Sequence Length", "tokens"}
	mTotalISL         = metric{"total_isl", "Total Input Sequence Length", "tokens"}
	mMinRequestTime   = metric{"min_request_timestamp", "Minimum Request Timestamp", "ns"}
	mMaxResponseTime  = metric{"max_response_timestamp", "Maximum Response Timestamp", "ns"}
	recordMetricOrder = []metric{mRequestLatency, mTTFT, mITL, mOSL, mISL}
)
