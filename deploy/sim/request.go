package sim

import "time"

// FinishReason says why a sequence stopped, in OpenAI's words where one
// exists.
type FinishReason string

// Finish reasons.
const (
	FinishLength FinishReason = "length" // generated max_tokens
	FinishAbort  FinishReason = "abort"  // the client went away or the request was cancelled
	FinishError  FinishReason = "error"  // the worker holding it crashed
)

// Observer receives a request's progress. Calls come from the engine's
// driver with the engine locked: implementations must return quickly and
// must not call back into the engine.
type Observer interface {
	// Token reports that the n-th output token (1-based) was emitted at now.
	Token(now time.Duration, n int)
	// Done reports the end of the request.
	Done(now time.Duration, reason FinishReason)
}

// ObserverFuncs adapts two functions to Observer; either may be nil.
type ObserverFuncs struct {
	OnToken func(now time.Duration, n int)
	OnDone  func(now time.Duration, reason FinishReason)
}

// Token calls OnToken.
func (o ObserverFuncs) Token(now time.Duration, n int) {
	if o.OnToken != nil {
		o.OnToken(now, n)
	}
}

// Done calls OnDone.
func (o ObserverFuncs) Done(now time.Duration, reason FinishReason) {
	if o.OnDone != nil {
		o.OnDone(now, reason)
	}
}

// PrefillInfo is what Dynamo's frontend knows of a request's prefill
// once it began: its start (RequestTracker.record_prefill_start, set
// once: lib/llm/src/protocols/common/timing.rs), the prompt tokens found
// in the prefix cache (vLLM's num_cached_tokens) and the workers
// (nvext.worker_id: the same id for both when the decode worker
// prefilled the prompt itself).
type PrefillInfo struct {
	Start                       time.Duration
	CachedTokens                int
	PrefillWorker, DecodeWorker uint64
}

// Local says the decode worker prefilled the prompt itself.
func (p PrefillInfo) Local() bool { return p.PrefillWorker == p.DecodeWorker }

// PrefillObserver is an Observer that also wants to hear when the
// request's first prefill began (its first chunk computed).
type PrefillObserver interface {
	Observer
	Prefill(PrefillInfo)
}

// Request is one generation request as the engine sees it.
type Request struct {
	// PromptTokens is the prompt length in tokens (see CountTokens).
	PromptTokens int
	// MaxTokens is how many tokens to generate; the simulated model never
	// stops early, as with ignore_eos.
	MaxTokens int
	// BlockHashes identify the prompt's full KV blocks, chained over the
	// prefix (see BlockHashes); used only with prefix caching.
	BlockHashes []uint64
	// Observer receives tokens and the end; may be nil.
	Observer Observer
}

// seqState is where a sequence is in the flow.
type seqState int

const (
	seqRouting      seqState = iota // waiting for a decode worker to exist
	seqWaiting                      // queued at a decode worker for KV blocks
	seqQueued                       // KV held, in the shared prefill queue
	seqPrefilling                   // a prefill worker is computing it
	seqTransferring                 // KV moving to the decode worker
	seqJoining                      // KV arrived, joins the batch at the next step
	seqLocalPrefill                 // prefilling inside the decode worker's next step
	seqRunning                      // in the decode batch
	seqFinished
)

// sequence is the engine's state of one request.
type sequence struct {
	id        uint64
	req       *Request
	arrival   time.Duration
	state     seqState
	worker    *decodeWorker
	lease     kvLease
	generated int
	// prefillTokens is how many tokens the pending prefill computes, and
	// prefilled how many of them are computed (chunked prefill).
	prefillTokens int
	prefilled     int
	// routerHitRate is the KV router's prefix hit estimate for the chosen
	// worker (overlap blocks * block size / prompt tokens), 0 otherwise.
	routerHitRate float64
	aborted       bool
	preemptions   int
	// prefillSeen is set once the observer heard of the first prefill.
	prefillSeen bool
	// lastToken is when the sequence's latest token was generated.
	lastToken time.Duration
}

// context is the number of tokens whose KV the sequence holds or needs.
func (s *sequence) context() int { return s.req.PromptTokens + s.generated }

func (s *sequence) notifyToken(now time.Duration) {
	if s.req.Observer != nil {
		s.req.Observer.Token(now, s.generated)
	}
}

// notifyPrefill tells a PrefillObserver when the first prefill began
// (later recomputations after a preemption are not reported, as upstream
// records the first start only).
// prefillWorker is the instance computing it: a prefill worker's, or
// its decode worker's for a local prefill.
func (s *sequence) notifyPrefill(now time.Duration, prefillWorker uint64) {
	if s.prefillSeen {
		return
	}
	s.prefillSeen = true
	if o, ok := s.req.Observer.(PrefillObserver); ok {
		o.Prefill(PrefillInfo{Start: now, CachedTokens: s.req.PromptTokens - s.prefillTokens, PrefillWorker: prefillWorker, DecodeWorker: s.worker.instanceID()})
	}
}

func (s *sequence) notifyDone(now time.Duration, r FinishReason) {
	s.state = seqFinished
	if s.req.Observer != nil {
		s.req.Observer.Done(now, r)
	}
}
