package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"plannerbench/schemas"
)

// ErrBadRequest marks requests the engine refuses (too long, no tokens).
var ErrBadRequest = errors.New("bad request")

// Counters are cumulative totals since the engine started.
type Counters struct {
	Submitted int64 `json:"submitted"`
	// PromptTokens and OutputTokensRequested sum the submitted requests'
	// prompt lengths and max_tokens.
	PromptTokens          int64 `json:"prompt_tokens"`
	OutputTokensRequested int64 `json:"output_tokens_requested"`
	Finished              int64 `json:"finished"`
	Aborted               int64 `json:"aborted"`
	TokensGenerated       int64 `json:"tokens_generated"`
	PrefillTokens         int64 `json:"prefill_tokens"`
	PrefixHitTokens       int64 `json:"prefix_hit_tokens"`
	Preemptions           int64 `json:"preemptions"`
	// Failed counts requests ended by a crashed worker (injected faults).
	Failed      int64 `json:"failed"`
	DecodeSteps int64 `json:"decode_steps"`
	// The frontend's latency histograms as sums and counts, in trace
	// seconds: time to first token (FirstTokens of them), the gaps
	// between a sequence's tokens (TokenGaps), and the finished requests'
	// durations (Finished of them).
	TTFTSeconds     float64 `json:"ttft_seconds"`
	FirstTokens     int64   `json:"first_tokens"`
	ITLSeconds      float64 `json:"itl_seconds"`
	TokenGaps       int64   `json:"token_gaps"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Engine is the discrete-event model of one disaggregated graph. It is not
// safe for concurrent use: a driver (Realtime, or a replay loop) owns it.
type Engine struct {
	prof    *schemas.Profile
	cfg     GraphConfig
	startup time.Duration

	now    time.Duration
	events eventQueue
	seq    uint64

	prefill      []*prefillWorker // live workers (not stopped), by id
	decode       []*decodeWorker
	nextPrefill  int
	nextDecode   int
	prefillQueue []*sequence
	queued       int // non-aborted sequences in prefillQueue
	routing      []*sequence
	// transferring holds sequences whose KV is on the wire, so every
	// sequence holding KV is reachable (for invariant checks).
	transferring map[*sequence]struct{}

	// rng breaks the KV router's ties, seeded from the graph config.
	rng *rand.Rand
	// faults are the injected failures in force.
	faults Faults
	// kvLoad is the kv-load router's snapshot of the decode workers.
	kvLoad kvLoadView

	nextSeq         uint64
	blocksPerWorker int
	watermarkBlocks int
	counters        Counters
}

// Handle identifies a submitted request, for Abort.
type Handle struct{ s *sequence }

// NewEngine builds a graph with cfg's workers, all ready at time zero (the
// deployment is up before the benchmark starts).
func NewEngine(prof *schemas.Profile, cfg GraphConfig) (*Engine, error) {
	if err := prof.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{prof: prof, cfg: cfg, startup: prof.StartupDelay.D(), transferring: map[*sequence]struct{}{},
		rng: rand.New(rand.NewPCG(cfg.RouterSeed, 0x706c616e6e657262))}
	if cfg.StartupDelay != nil {
		e.startup = cfg.StartupDelay.D()
	}
	e.faults = cfg.Faults
	e.blocksPerWorker = prof.KVCapacityTokens() / cfg.BlockSize
	e.watermarkBlocks = int(prof.Watermark * float64(e.blocksPerWorker))
	if e.blocksPerWorker*cfg.BlockSize < cfg.MaxModelLen {
		return nil, fmt.Errorf("profile %s holds %d tokens of KV, less than max_model_len %d", prof.Name, e.blocksPerWorker*cfg.BlockSize, cfg.MaxModelLen)
	}
	for i := 0; i < cfg.PrefillWorkers; i++ {
		e.addPrefill(WorkerReady)
	}
	for i := 0; i < cfg.DecodeWorkers; i++ {
		e.addDecode(WorkerReady)
	}
	return e, nil
}

// Now returns the engine's virtual time.
func (e *Engine) Now() time.Duration { return e.now }

// Profile returns the engine's performance profile.
func (e *Engine) Profile() *schemas.Profile { return e.prof }

// Config returns the engine's graph configuration.
func (e *Engine) Config() GraphConfig { return e.cfg }

// StartupDelay is how long a scaled-up worker takes to become ready.
func (e *Engine) StartupDelay() time.Duration { return e.startup }

// Submit routes a new request at the current time.
func (e *Engine) Submit(req *Request) (Handle, error) {
	if req.PromptTokens <= 0 {
		return Handle{}, fmt.Errorf("%w: the prompt has no tokens", ErrBadRequest)
	}
	if req.MaxTokens <= 0 {
		return Handle{}, fmt.Errorf("%w: max_tokens must be at least 1, got %d", ErrBadRequest, req.MaxTokens)
	}
	if total := req.PromptTokens + req.MaxTokens; total > e.cfg.MaxModelLen {
		return Handle{}, fmt.Errorf("%w: this model's maximum context length is %d tokens, but %d were requested (%d in the prompt, %d to generate)",
			ErrBadRequest, e.cfg.MaxModelLen, total, req.PromptTokens, req.MaxTokens)
	}
	e.nextSeq++
	s := &sequence{id: e.nextSeq, req: req, arrival: e.now}
	e.counters.Submitted++
	e.counters.PromptTokens += int64(req.PromptTokens)
	e.counters.OutputTokensRequested += int64(req.MaxTokens)
	e.route(s)
	return Handle{s}, nil
}

// Abort stops a request; its observer gets Done(abort) at once, and the
// engine frees its KV cache at the sequence's next transition.
func (e *Engine) Abort(h Handle) {
	s := h.s
	if s == nil || s.aborted || s.state == seqFinished {
		return
	}
	s.aborted = true
	e.counters.Aborted++
	switch s.state {
	case seqRouting:
		e.routing, _ = removeSeq(e.routing, s)
	case seqWaiting:
		s.worker.waiting.remove(s)
		e.afterRelease(s.worker)
	case seqQueued:
		e.queued--
	}
	s.notifyDone(e.now, FinishAbort)
}

// route sends s to a ready decode worker picked by the graph's router, or
// parks it until one is ready.
func (e *Engine) route(s *sequence) {
	var best *decodeWorker
	switch e.cfg.Router {
	case RouterKV:
		best = e.routeKV(s)
	case RouterKVLoad:
		best = e.routeKVLoad()
	default:
		best = e.leastLoaded()
	}
	if best == nil {
		s.state = seqRouting
		e.routing = append(e.routing, s)
		return
	}
	s.worker, s.state = best, seqWaiting
	best.waiting.pushBack(s)
	e.admit(best)
}

// leastLoaded is the ready decode worker with the least KV in use and
// queued (RouterLeastLoaded), nil when none is ready.
func (e *Engine) leastLoaded() *decodeWorker {
	var best *decodeWorker
	var bestLoad float64
	for _, w := range e.decode {
		if w.state != WorkerReady {
			continue
		}
		l := w.load()
		if best == nil || l < bestLoad || (l == bestLoad && w.admitted < best.admitted) {
			best, bestLoad = w, l
		}
	}
	return best
}

// admit gives KV blocks to the worker's waiting sequences in order, then
// sends them to prefill.
func (e *Engine) admit(w *decodeWorker) {
	bs := e.cfg.BlockSize
	for w.waiting.len() > 0 && w.admitted < e.prof.MaxNumSeqs {
		s := w.waiting.front()
		need := ceilDiv(s.context(), bs)
		var hashes []uint64
		if e.cfg.PrefixCaching && s.generated == 0 {
			hashes = s.req.BlockHashes
			if len(hashes) > need {
				hashes = hashes[:need]
			}
		}
		lease, hits, ok := w.kv.admit(hashes, need, e.watermarkBlocks)
		if !ok {
			break // head of line waits for blocks, as vLLM's FCFS scheduler does
		}
		w.waiting.popFront()
		w.admitted++
		s.lease = lease
		s.prefillTokens = max(1, s.context()-hits*bs)
		s.prefilled = 0
		e.counters.PrefixHitTokens += int64(s.context() - s.prefillTokens)
		if e.prefillLocally(s) {
			s.state = seqLocalPrefill
			w.localPrefill = append(w.localPrefill, s)
			e.kick(w)
			continue
		}
		s.state = seqQueued
		e.prefillQueue = append(e.prefillQueue, s)
		e.queued++
	}
	e.dispatchPrefill()
}

// prefillLocally is Dynamo's conditional disaggregation, decided when the
// decode worker has allocated the prompt's KV blocks: the prefill stays on
// the decode worker unless PrefillRemote says otherwise. The prefix hit
// rate it uses is the KV router's estimate for the chosen worker (0 with
// another router), as upstream's worker receives it from the router
// (examples/llm/components/processor.py and worker.py, commit
// 02e16f75490465f69b38a5f69bcd89f5bf494f35). With no prefill worker ready
// there is nowhere else to prefill (plannerbench's choice: upstream would
// leave the job queued).
func (e *Engine) prefillLocally(s *sequence) bool {
	if !e.cfg.ConditionalDisagg {
		return false
	}
	if e.readyPrefillWorkers() == 0 {
		return true
	}
	return !PrefillRemote(s.context(), s.routerHitRate, e.queued, e.cfg.MaxLocalPrefillLength, e.cfg.MaxPrefillQueueSize)
}

// PrefillRemote is Dynamo's disaggregated router's decision: prefill on a
// prefill worker iff the prompt's tokens not found in the prefix cache,
// int(prompt_length * (1 - prefix_hit_rate)), exceed maxLocal and the
// shared prefill queue holds fewer than maxQueue jobs; otherwise the decode
// worker prefills locally. Read from ai-dynamo/dynamo
// examples/llm/components/disagg_router.py, PyDisaggregatedRouter.prefill_remote
// (commit 02e16f75490465f69b38a5f69bcd89f5bf494f35).
func PrefillRemote(promptLength int, prefixHitRate float64, queueSize, maxLocal, maxQueue int) bool {
	absolute := int(float64(promptLength) * (1 - prefixHitRate))
	return absolute > maxLocal && queueSize < maxQueue
}

func (e *Engine) readyPrefillWorkers() int {
	n := 0
	for _, w := range e.prefill {
		if w.state == WorkerReady {
			n++
		}
	}
	return n
}

// dispatchPrefill starts a step on every ready prefill worker that is idle
// and has work, taking queued jobs oldest first.
func (e *Engine) dispatchPrefill() {
	for _, pw := range e.prefill {
		if pw.state == WorkerReady && !pw.stepping {
			e.startPrefillStep(pw)
			if e.queued == 0 {
				return
			}
		}
	}
}

// startPrefillStep fills the worker's batch from the shared queue (one job
// at a time unless prefill_worker_batching is on; never for a draining
// worker) and computes one chunk of each job within max_num_batched_tokens.
func (e *Engine) startPrefillStep(pw *prefillWorker) {
	if pw.state == WorkerReady {
		for pw.remaining() < e.cfg.MaxNumBatchedTokens && (e.cfg.PrefillWorkerBatching || len(pw.batch) == 0) {
			s := e.popPrefill()
			if s == nil {
				break
			}
			s.state = seqPrefilling
			pw.batch = append(pw.batch, s)
			s.notifyPrefill(e.now, pw.instanceID())
		}
	}
	pw.chunks = chunkPrefill(pw.batch, e.cfg.MaxNumBatchedTokens, pw.chunks[:0])
	if len(pw.chunks) == 0 {
		return
	}
	for _, c := range pw.chunks {
		e.counters.PrefillTokens += int64(c)
	}
	pw.stepping = true
	pw.stepStart = e.now
	e.Schedule(e.now+e.prof.PrefillStepTime(pw.chunks), func() { e.endPrefillStep(pw) })
}

// chunkPrefill splits budget tokens over the pending prefills of batch in
// order (vLLM's chunked prefill), advancing each one's progress; it returns
// the chunk sizes, one for each of the first len(chunks) sequences.
func chunkPrefill(batch []*sequence, budget int, chunks []int) []int {
	for _, s := range batch {
		c := min(s.prefillTokens-s.prefilled, budget)
		if c <= 0 {
			break
		}
		s.prefilled += c
		budget -= c
		chunks = append(chunks, c)
	}
	return chunks
}

func (e *Engine) popPrefill() *sequence {
	for len(e.prefillQueue) > 0 {
		s := e.prefillQueue[0]
		e.prefillQueue[0] = nil
		e.prefillQueue = e.prefillQueue[1:]
		if s.aborted {
			e.dropAborted(s)
			continue
		}
		e.queued--
		return s
	}
	return nil
}

// endPrefillStep sends every job whose prompt is complete to its decode
// worker, then starts the next step (or stops a drained worker).
func (e *Engine) endPrefillStep(pw *prefillWorker) {
	pw.stepping = false
	pw.computing += e.now - pw.stepStart
	kept := pw.batch[:0]
	for _, s := range pw.batch {
		switch {
		case s.aborted:
			e.dropAborted(s)
		case s.prefilled < s.prefillTokens:
			kept = append(kept, s)
		default:
			pw.jobs++
			s.state = seqTransferring
			e.transferring[s] = struct{}{}
			e.Schedule(e.now+e.prof.TransferTime(s.context()), func() { e.transferDone(s) })
		}
	}
	clear(pw.batch[len(kept):])
	pw.batch = kept
	if pw.state == WorkerDraining && len(pw.batch) == 0 {
		e.stopPrefill(pw)
	} else {
		e.startPrefillStep(pw)
	}
	e.dispatchPrefill()
}

func (e *Engine) transferDone(s *sequence) {
	delete(e.transferring, s)
	if s.aborted {
		e.dropAborted(s)
		return
	}
	s.state = seqJoining
	s.worker.joining = append(s.worker.joining, s)
	e.kick(s.worker)
}

// dropAborted frees an aborted sequence's KV on its decode worker.
func (e *Engine) dropAborted(s *sequence) {
	s.worker.retire(s)
	e.afterRelease(s.worker)
}

// afterRelease lets waiting sequences in, and stops a drained worker.
func (e *Engine) afterRelease(w *decodeWorker) {
	if w.state == WorkerDraining && w.admitted == 0 && w.waiting.len() == 0 {
		e.stopDecode(w)
		return
	}
	e.admit(w)
}

// kick starts a decode step if the worker has work and is idle.
func (e *Engine) kick(w *decodeWorker) {
	if !w.stepping && len(w.running)+len(w.joining)+len(w.localPrefill) > 0 {
		e.startStep(w)
	}
}

// startStep runs one continuous-batching step: every running sequence gets
// one token at its end, and local prefills take the rest of the
// max_num_batched_tokens budget in chunks (vLLM's chunked prefill); a
// prompt whose last chunk is in this step gets its first token too. Before
// the step each sequence needs room for that token; when the cache is full
// the most recently added sequence is preempted (its blocks freed,
// recomputed later), as in vLLM. The step lasts the profile's decode time
// plus the prefill time of its chunks, as in Dynamo's mocker.
func (e *Engine) startStep(w *decodeWorker) {
	completed := e.localPrefillChunks(w)
	w.running = append(append(w.running, w.joining...), completed...)
	w.joining = w.joining[:0]
	kept := w.running[:0]
	for _, s := range w.running {
		if s.aborted {
			w.retire(s)
			continue
		}
		s.state = seqRunning
		kept = append(kept, s)
	}
	w.running = kept
	bs := e.cfg.BlockSize
	for i := 0; i < len(w.running); i++ {
		s := w.running[i]
		for s.context()+1 > s.lease.blocks()*bs && !w.kv.grow(&s.lease) {
			victim := w.running[len(w.running)-1]
			e.preempt(w, victim)
			if victim == s {
				break
			}
		}
	}
	if len(w.running) == 0 && len(w.chunks) == 0 {
		e.afterRelease(w)
		return
	}
	w.stepping = true
	w.lastStep = e.now
	dur := e.prof.DecodeStepTime(w.kv.utilisation()) + e.prof.PrefillStepTime(w.chunks)
	e.Schedule(e.now+dur, func() { e.endStep(w) })
}

// localPrefillChunks schedules this step's local prefill chunks into
// w.chunks, within the budget the decodes leave (one token each), and
// returns the sequences whose prompt completes in this step.
func (e *Engine) localPrefillChunks(w *decodeWorker) []*sequence {
	pending := w.localPrefill[:0]
	for _, s := range w.localPrefill {
		if s.aborted {
			w.retire(s)
			continue
		}
		pending = append(pending, s)
	}
	clear(w.localPrefill[len(pending):])
	budget := e.cfg.MaxNumBatchedTokens - len(w.running) - len(w.joining)
	w.chunks = chunkPrefill(pending, budget, w.chunks[:0])
	for _, c := range w.chunks {
		e.counters.PrefillTokens += int64(c)
	}
	for _, s := range pending[:len(w.chunks)] {
		s.notifyPrefill(e.now, w.instanceID())
	}
	var completed []*sequence
	kept := pending[:0]
	for _, s := range pending {
		if s.prefilled >= s.prefillTokens {
			completed = append(completed, s)
		} else {
			kept = append(kept, s)
		}
	}
	clear(pending[len(kept):])
	w.localPrefill = kept
	return completed
}

// countLatency adds a token to the frontend's TTFT or ITL sums, as
// Dynamo's frontend observes each response (the first one's time since
// the request arrived, then each gap).
func (e *Engine) countLatency(s *sequence) {
	if s.generated == 1 {
		e.counters.TTFTSeconds += (e.now - s.arrival).Seconds()
		e.counters.FirstTokens++
	} else {
		e.counters.ITLSeconds += (e.now - s.lastToken).Seconds()
		e.counters.TokenGaps++
	}
	s.lastToken = e.now
}

// preempt returns a running sequence to the front of its worker's queue.
func (e *Engine) preempt(w *decodeWorker, s *sequence) {
	w.running, _ = removeSeq(w.running, s)
	w.kv.release(&s.lease)
	w.admitted--
	s.preemptions++
	e.counters.Preemptions++
	s.state = seqWaiting
	w.waiting.pushFront(s)
}

func (e *Engine) endStep(w *decodeWorker) {
	w.stepping = false
	w.computing += e.now - w.lastStep
	w.steps++
	e.counters.DecodeSteps++
	kept := w.running[:0]
	for _, s := range w.running {
		if s.aborted {
			w.retire(s)
			continue
		}
		s.generated++
		e.counters.TokensGenerated++
		e.countLatency(s)
		s.notifyToken(e.now)
		if s.generated >= s.req.MaxTokens {
			w.retire(s)
			e.counters.Finished++
			e.counters.DurationSeconds += (e.now - s.arrival).Seconds()
			s.notifyDone(e.now, FinishLength)
			continue
		}
		kept = append(kept, s)
	}
	clear(w.running[len(kept):])
	w.running = kept
	e.afterRelease(w)
	if w.state != WorkerStopped {
		e.kick(w)
	}
}
