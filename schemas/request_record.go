package schemas

import (
	"cmp"
	"math"
	"slices"
	"sort"
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

// RequestRecord is the outcome of one trace row (README, Result files), one Parquet
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

	// What the endpoint said of the request's prefill; missing (-1, NaN)
	// where it said nothing. Files written before these existed lack them.
	//
	// CachedTokens is usage.prompt_tokens_details.cached_tokens: prompt
	// tokens found in the prefix cache. vLLM sends it only when it is not
	// zero (and --enable-prompt-tokens-details is on), so a run in which
	// some requests have it and others not had 0 in the others.
	CachedTokens int32 `json:"cached_tokens"`
	// PrefillWaitMS and PrefillMS are Dynamo's nvext.timing
	// prefill_wait_time_ms (from the request's arrival to its prefill's
	// start: the queueing) and prefill_time_ms (from the prefill's start
	// to the first token), in trace ms.
	PrefillWaitMS float64 `json:"prefill_wait_ms"`
	PrefillMS     float64 `json:"prefill_ms"`
	// PrefillLocal says the decode worker prefilled the prompt itself
	// (nvext.worker_id: the prefill worker is the decode worker); -1
	// unknown, 0 remote, 1 local.
	PrefillLocal int32 `json:"prefill_local"`
	// DecodeWorker is nvext.worker_id's decode_worker_id (-1: unknown):
	// the instance whose cache the request's steps depended on.
	DecodeWorker int64 `json:"decode_worker_id"`
	// DecodeStepAt is when ITLDecodeMS's step ended (wall time, as the
	// other instants); zero when unknown.
	DecodeStepAt time.Time `json:"decode_step_at"`
	// ITLDecodeMS is the request's decode step alone, in trace ms: the
	// median of its gaps between content chunks that are at most
	// PureStepFactor times its 10th-percentile gap. The mean ITL (and on a
	// busy decode worker the median gap) also counts steps that carried
	// another prompt's prefill chunk, and a preemption's gap.
	ITLDecodeMS float64 `json:"itl_decode_ms"`
}

// NewRequestRecord returns a record for trace row index with every
// measurement marked missing.
func NewRequestRecord(index int64, rec *TraceRecord) RequestRecord {
	return RequestRecord{
		Index: index, InputLength: int32(rec.InputLength), OutputLength: int32(rec.OutputLength),
		PromptTokens: -1, CompletionTokens: -1, TTFTMS: math.NaN(), ITLMS: math.NaN(), LatencyMS: math.NaN(), LatenessMS: math.NaN(),
		CachedTokens: -1, PrefillWaitMS: math.NaN(), PrefillMS: math.NaN(), PrefillLocal: -1, ITLDecodeMS: math.NaN(), DecodeWorker: -1,
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

// PureStepFactor bounds a decode step against the request's
// 10th-percentile one: the pure decode steps of one request differ by the
// few percent its worker's KV moves during it, while a step that also
// computed a prefill chunk of a typical prompt (hundreds of tokens: 20 ms
// and more on an H100 8B profile, against decode steps of 8-27 ms) is over
// half again as long. A chunk too small to be told apart costs little.
const PureStepFactor = 1.5

// SetDecodeStep sets ITLDecodeMS, and DecodeStepAt, from the request's
// gaps between content chunks, in arrival order and wall ms, the first of
// them following the first token at first; times timeScale into trace
// time (no gap: both stay missing).
//
// The steps are the means of each two consecutive gaps: a chunk the client
// read late (scheduling, a coalesced read) lengthens one gap by what it
// shortens the next, and the pair's mean keeps the step, where single
// gaps put late reads in the low tail the bound is taken from (a live run
// at time scale 5, steps of 2 wall ms: -15% at low KV from single gaps).
// Of those, the ones within PureStepFactor of the 10th percentile are
// pure decode steps; their median is the request's step, and the instant
// of that median step is DecodeStepAt: on a busy worker the pure steps
// come when few prompts were prefilling, not spread over the request's
// decode, and the cache they ran at is the one of their time.
func (r *RequestRecord) SetDecodeStep(first time.Time, gaps []float64, timeScale float64) {
	if len(gaps) == 0 {
		return
	}
	type step struct{ ms, at float64 } // at: wall ms after the first token
	steps := make([]step, 0, len(gaps))
	var elapsed float64
	for i, g := range gaps {
		elapsed += g
		if len(gaps) == 1 {
			steps = append(steps, step{g, elapsed})
		} else if i+1 < len(gaps) {
			steps = append(steps, step{(g + gaps[i+1]) / 2, elapsed})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.ms, b.ms) })
	bound := steps[(len(steps)-1)/10].ms * PureStepFactor
	n := sort.Search(len(steps), func(i int) bool { return steps[i].ms > bound })
	pure := steps[:max(n, 1)]
	m := pure[len(pure)/2]
	r.ITLDecodeMS = m.ms * timeScale
	r.DecodeStepAt = first.Add(time.Duration(m.at * float64(time.Millisecond)))
}
