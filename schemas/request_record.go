package schemas

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Request statuses.
const (
	StatusOK          = "ok"          // the stream completed
	StatusError       = "error"       // the request failed; ErrorClass says how
	StatusSkipped     = "skipped"     // its send time passed while no driver ran
	StatusInterrupted = "interrupted" // sent, but the driver stopped before it ended
)

// Error classes of failed requests.
const (
	ErrClassHTTP       = "http"       // a non-2xx answer; HTTPStatus has the code
	ErrClassTimeout    = "timeout"    // the request's deadline passed
	ErrClassConnection = "connection" // no connection, or it failed before any answer
	ErrClassStream     = "stream"     // the stream broke or ended early
	ErrClassCanceled   = "canceled"   // the driver was stopped
)

// RequestRecord is the outcome of one trace row (DESIGN §3.4), one Parquet
// row. Wall-clock instants are absolute; TTFT, ITL and latency are in trace
// time (wall durations multiplied by the time scale) so runs at different
// time scales compare. Missing values are NaN (floats), -1 (token counts) or
// the zero time.
type RequestRecord struct {
	Index            int64     `json:"index"`
	ScheduledAt      time.Time `json:"scheduled_at"`
	SentAt           time.Time `json:"sent_at"`
	FirstTokenAt     time.Time `json:"first_token_at"`
	EndAt            time.Time `json:"end_at"`
	LatenessMS       float64   `json:"lateness_ms"`
	InputLength      int32     `json:"input_length"`
	OutputLength     int32     `json:"output_length"`
	PromptTokens     int32     `json:"prompt_tokens"`
	CompletionTokens int32     `json:"completion_tokens"`
	// Chunks counts streamed chunks that carried content.
	Chunks       int32   `json:"chunks"`
	TTFTMS       float64 `json:"ttft_ms"`
	ITLMS        float64 `json:"itl_ms"`
	LatencyMS    float64 `json:"latency_ms"`
	Status       string  `json:"status"`
	FinishReason string  `json:"finish_reason"`
	HTTPStatus   int32   `json:"http_status"`
	ErrorClass   string  `json:"error_class"`
	Error        string  `json:"error"`
	Attempt      int32   `json:"attempt"`
}

// NewRequestRecord returns a record for trace row index with every
// measurement marked missing.
func NewRequestRecord(index int64, rec *TraceRecord) RequestRecord {
	return RequestRecord{
		Index: index, InputLength: int32(rec.InputLength), OutputLength: int32(rec.OutputLength),
		PromptTokens: -1, CompletionTokens: -1, TTFTMS: math.NaN(), ITLMS: math.NaN(), LatencyMS: math.NaN(), LatenessMS: math.NaN(),
	}
}

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
}, nil)
