package results

import "github.com/apache/arrow-go/v18/arrow"

// The Arrow (and Parquet) schemas of the records in schemas/. They live here,
// beside the only code that writes Parquet, so that packages which only
// pass records around (the workflows among them) do not link Arrow.

// RequestArrowSchema is the Arrow (and Parquet) schema of request records.
// Timestamps are microseconds UTC; nullable columns hold the missing values.
var RequestArrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "index", Type: arrow.PrimitiveTypes.Int64},
	{Name: "scheduled_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "sent_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "first_token_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "end_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "lateness_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "input_length", Type: arrow.PrimitiveTypes.Int32},
	{Name: "output_length", Type: arrow.PrimitiveTypes.Int32},
	{Name: "prompt_tokens", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "completion_tokens", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "chunks", Type: arrow.PrimitiveTypes.Int32},
	{Name: "ttft_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "itl_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "latency_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "finish_reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "http_status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "error_class", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "attempt", Type: arrow.PrimitiveTypes.Int32},
	// Last so files written before it (20 columns) still read.
	{Name: "ack_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	// Appended for calibrate, last so earlier files (20 or 21 columns)
	// still read: what the endpoint said of each prefill.
	{Name: "cached_tokens", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "prefill_wait_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "prefill_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "prefill_local", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "itl_decode_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	// Appended after those: the decode worker's instance id, and when the
	// itl_decode_ms step ended.
	{Name: "decode_worker_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "decode_step_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
}, nil)

// TimelineArrowSchema is the Arrow (and Parquet) schema of timeline rows.
var TimelineArrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "t_s", Type: arrow.PrimitiveTypes.Float64},
	{Name: "average_kv_load", Type: arrow.PrimitiveTypes.Float64},
	{Name: "prefill_queue_size", Type: arrow.PrimitiveTypes.Float64},
	{Name: "total_queued_requests", Type: arrow.PrimitiveTypes.Float64},
	{Name: "num_prefill_workers", Type: arrow.PrimitiveTypes.Int32},
	{Name: "num_decode_workers", Type: arrow.PrimitiveTypes.Int32},
	{Name: "num_gpu", Type: arrow.PrimitiveTypes.Int32},
	{Name: "gpus_held", Type: arrow.PrimitiveTypes.Int32},
	{Name: "prefill_starting", Type: arrow.PrimitiveTypes.Int32},
	{Name: "decode_starting", Type: arrow.PrimitiveTypes.Int32},
	{Name: "prefill_draining", Type: arrow.PrimitiveTypes.Int32},
	{Name: "decode_draining", Type: arrow.PrimitiveTypes.Int32},
	{Name: "delta_prefill", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "delta_decode", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "inputs", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "kv_usage", Type: arrow.PrimitiveTypes.Float64},
	{Name: "planner_waiting", Type: arrow.FixedWidthTypes.Boolean},
	// Appended last: each decode worker's cache usage by instance id, a
	// JSON object (null where the source had no instance ids).
	{Name: "kv_usage_by_worker", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)
