package schemas

import (
	"math"
	"time"
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
	// AckAt is when the response headers arrived (AIPerf's request_ack_ns);
	// zero when no answer came. Files written before it existed lack it.
	AckAt time.Time `json:"ack_at"`
}

// NewRequestRecord returns a record for trace row index with every
// measurement marked missing.
func NewRequestRecord(index int64, rec *TraceRecord) RequestRecord {
	return RequestRecord{
		Index: index, InputLength: int32(rec.InputLength), OutputLength: int32(rec.OutputLength),
		PromptTokens: -1, CompletionTokens: -1, TTFTMS: math.NaN(), ITLMS: math.NaN(), LatencyMS: math.NaN(), LatenessMS: math.NaN(),
	}
}

// SetTimings fills the record's instants and its TTFT, latency and ITL from
// a finished stream, with AIPerf's definitions: TTFT is the first content
// minus the send, latency the end minus the send, ITL (latency - TTFT) /
// (output tokens - 1). Wall durations are multiplied by timeScale into trace
// time. A zero first means no content arrived: TTFT and ITL stay missing.
func (r *RequestRecord) SetTimings(sent, first, end time.Time, outputTokens int, timeScale float64) {
	r.SentAt, r.FirstTokenAt, r.EndAt = sent, first, end
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) * timeScale }
	r.LatencyMS = ms(end.Sub(sent))
	if first.IsZero() {
		return
	}
	r.TTFTMS = ms(first.Sub(sent))
	if outputTokens > 1 {
		r.ITLMS = (r.LatencyMS - r.TTFTMS) / float64(outputTokens-1)
	}
}
