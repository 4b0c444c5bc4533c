package aiperf

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"plannerbench/schemas"
)

// Record is one line of profile_export.jsonl (AIPerf's MetricRecordInfo).
type Record struct {
	Metadata Metadata               `json:"metadata"`
	Metrics  map[string]MetricValue `json:"metrics"`
	Error    *ErrorDetails          `json:"error"`
}

// Metadata is AIPerf's MetricRecordMetadata (the fields plannerbench knows;
// optional ones it does not are null or absent, as AIPerf writes them).
type Metadata struct {
	SessionNum        int64  `json:"session_num"`
	XRequestID        string `json:"x_request_id"`
	ConversationID    string `json:"conversation_id,omitempty"`
	TurnIndex         int    `json:"turn_index"`
	RequestStartNS    int64  `json:"request_start_ns"`
	RequestAckNS      *int64 `json:"request_ack_ns"`
	RequestEndNS      int64  `json:"request_end_ns"`
	WorkerID          string `json:"worker_id"`
	RecordProcessorID string `json:"record_processor_id"`
	BenchmarkPhase    string `json:"benchmark_phase"`
	WasCancelled      bool   `json:"was_cancelled"`
	// CancellationTimeNS is set for a request the driver stopped.
	CancellationTimeNS *int64 `json:"cancellation_time_ns"`
}

// MetricValue is AIPerf's MetricValue: a value in its display unit.
type MetricValue struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// ErrorDetails is AIPerf's ErrorDetails: code (the HTTP status when there
// was one), type (plannerbench's error class) and message.
type ErrorDetails struct {
	Code    *int32 `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// RecordOf converts a request record; ok is false for a request that was
// never sent (skipped), which AIPerf would not have a record of.
func RecordOf(caseID, worker string, r *schemas.RequestRecord) (Record, bool) {
	if r.SentAt.IsZero() || r.Status == schemas.StatusSkipped {
		return Record{}, false
	}
	end := r.EndAt
	if end.IsZero() {
		end = r.SentAt // AIPerf: "if the request failed, the time of the error"; unknown here
	}
	rec := Record{
		Metadata: Metadata{
			SessionNum: r.Index, XRequestID: fmt.Sprintf("%s-%d-%d", caseID, r.Index, r.Attempt),
			ConversationID: fmt.Sprintf("%d", r.Index),
			RequestStartNS: r.SentAt.UnixNano(), RequestEndNS: end.UnixNano(),
			WorkerID: worker, RecordProcessorID: "plannerbench", BenchmarkPhase: BenchmarkPhase,
		},
		Metrics: map[string]MetricValue{},
	}
	if !r.AckAt.IsZero() {
		ns := r.AckAt.UnixNano()
		rec.Metadata.RequestAckNS = &ns
	}
	isl := float64(r.InputLength)
	if r.PromptTokens >= 0 {
		isl = float64(r.PromptTokens)
	}
	switch r.Status {
	case schemas.StatusOK:
		put := func(m metric, v float64) {
			if !math.IsNaN(v) {
				rec.Metrics[m.tag] = MetricValue{Value: v, Unit: m.unit}
			}
		}
		put(mRequestLatency, r.LatencyMS)
		put(mTTFT, r.TTFTMS)
		put(mITL, r.ITLMS)
		osl := float64(r.Chunks)
		if r.CompletionTokens >= 0 {
			osl = float64(r.CompletionTokens)
		}
		put(mOSL, osl)
		put(mISL, isl)
	case schemas.StatusInterrupted:
		rec.Metadata.WasCancelled = true
		ns := end.UnixNano()
		rec.Metadata.CancellationTimeNS = &ns
		fallthrough
	default:
		rec.Metrics[mErrorISL.tag] = MetricValue{Value: isl, Unit: mErrorISL.unit}
		e := &ErrorDetails{Type: r.ErrorClass, Message: r.Error}
		if r.HTTPStatus > 0 {
			code := r.HTTPStatus
			e.Code = &code
		}
		rec.Error = e
	}
	return rec, true
}

// writeRecords writes the records and counts each in t, so the summary
// needs no second pass.
func writeRecords(w io.Writer, info Info, recs []schemas.RequestRecord, t *tally) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for i := range recs {
		rec, ok := RecordOf(info.CaseID, info.Worker, &recs[i])
		if !ok {
			continue
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("%s: request %d: %w", RecordsFile, recs[i].Index, err)
		}
		t.add(rec)
	}
	return bw.Flush()
}

// timeISO formats a time as AIPerf's datetime fields serialize (ISO 8601).
func timeISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }
