package simserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"plannerbench/deploy/sim"
)

// ServerOptions configures the HTTP front of a simulated graph.
type ServerOptions struct {
	// Model is the served model name; requests for another get a 404.
	Model string
	// AdminToken, when set, must be sent as "Authorization: Bearer …" to
	// the /admin endpoints.
	AdminToken string
	// AllowRemoteAdmin lets /admin answer callers outside loopback.
	AllowRemoteAdmin bool
	Logger           *slog.Logger
	// StreamWriteTimeout bounds each write of a stream: a client that
	// stops reading is dropped and its request aborted (0: 30 s).
	StreamWriteTimeout time.Duration
}

// MaxBodyBytes bounds a request body: the longest prompt the simulated
// model takes (16,384 tokens) is far below it.
const MaxBodyBytes = 8 << 20

// Server is the OpenAI-compatible HTTP front of a Realtime engine.
type Server struct {
	rt      *Realtime
	opts    ServerOptions
	mux     *http.ServeMux
	idBase  string
	dice    *faultDice
	nextID  atomic.Uint64
	started time.Time
}

// NewServer builds the handler set; serve it with Handler.
func NewServer(rt *Realtime, opts ServerOptions) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Model == "" {
		opts.Model = rt.eng.Config().Model
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &Server{rt: rt, opts: opts, mux: http.NewServeMux(), idBase: hex.EncodeToString(b[:]), started: time.Now(),
		dice: &faultDice{rng: mrand.New(mrand.NewPCG(uint64(b[0])<<8|uint64(b[1]), 1))}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(rt))
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	s.mux.HandleFunc("POST /v1/completions", s.handleCompletions)
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /health", s.handleHealth)
	s.mux.HandleFunc("GET /metrics", s.metricsWithFaults(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	s.mux.HandleFunc("POST /admin/scale", s.admin(s.handleScale))
	s.mux.HandleFunc("GET /admin/state", s.admin(s.handleState))
	s.mux.HandleFunc("GET /admin/faults", s.admin(s.handleFaults))
	s.mux.HandleFunc("POST /admin/faults", s.admin(s.handleFaults))
	s.mux.HandleFunc("POST /admin/crash", s.admin(s.handleCrash))
	return s
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler { return s.mux }

// genParams is a parsed chat or completion request.
type genParams struct {
	chat         bool
	model        string
	prompt       string
	stream       bool
	includeUsage bool
	maxTokens    *int
	minTokens    *int
	// timing and workerID: nvext.extra_fields holds "timing", "worker_id".
	timing, workerID bool
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !oneChoice(w, req.N) {
		return
	}
	if len(req.Messages) == 0 {
		badRequest(w, "messages", "messages must hold at least one message")
		return
	}
	var text strings.Builder
	for i, m := range req.Messages {
		t, err := messageText(m.Content)
		if err != nil {
			badRequest(w, fmt.Sprintf("messages[%d].content", i), "messages[%d].content: %v", i, err)
			return
		}
		text.WriteString(t)
		text.WriteByte(' ')
	}
	max := req.MaxCompletionTokens
	if max == nil {
		max = req.MaxTokens
	}
	s.generate(w, r, genParams{chat: true, model: req.Model, prompt: text.String(), stream: req.Stream,
		includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage, maxTokens: max, minTokens: req.MinTokens, timing: req.NVExt.wants("timing"), workerID: req.NVExt.wants("worker_id")})
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !oneChoice(w, req.N) {
		return
	}
	prompt, err := promptText(req.Prompt)
	if err != nil {
		badRequest(w, "prompt", "%v", err)
		return
	}
	max := req.MaxTokens
	if max == nil {
		legacyDefault := 16 // OpenAI's default for /v1/completions
		max = &legacyDefault
	}
	s.generate(w, r, genParams{model: req.Model, prompt: prompt, stream: req.Stream,
		includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage, maxTokens: max, minTokens: req.MinTokens, timing: req.NVExt.wants("timing"), workerID: req.NVExt.wants("worker_id")})
}

// decodeBody reads a JSON body or answers 413 (over MaxBodyBytes) or 400
// (not UTF-8, not JSON, or not the expected shape).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeAPIError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "", "",
				"the request body is larger than %d bytes", MaxBodyBytes)
			return false
		}
		badRequest(w, "", "could not read the request body: %v", err)
		return false
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		badRequest(w, "", "the request body is not valid UTF-8 (first invalid byte at offset %d)", off)
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		badRequest(w, "", "We could not parse the JSON body of your request: %v", err)
		return false
	}
	return true
}

// generate validates, submits and answers one request.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, p genParams) {
	faults := s.faults()
	if s.dice.hit(faults.HTTPErrorRate) {
		writeAPIError(w, http.StatusServiceUnavailable, "server_error", "", "", "injected fault: the service is unavailable, retry later")
		return
	}
	if p.model != s.opts.Model {
		writeAPIError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
			"The model `%s` does not exist. This server serves `%s`.", p.model, s.opts.Model)
		return
	}
	promptTokens := sim.CountTokens(p.prompt)
	if promptTokens == 0 {
		badRequest(w, "messages", "the prompt is empty")
		return
	}
	cfg := s.rt.eng.Config()
	maxTokens := cfg.MaxModelLen - promptTokens // vLLM's default: fill the context
	if p.maxTokens != nil {
		maxTokens = *p.maxTokens
	}
	if maxTokens < 1 {
		badRequest(w, "max_tokens", "max_tokens must be at least 1, got %d", maxTokens)
		return
	}
	if p.minTokens != nil && (*p.minTokens < 0 || *p.minTokens > maxTokens) {
		badRequest(w, "min_tokens", "min_tokens must be within [0, max_tokens=%d], got %d", maxTokens, *p.minTokens)
		return
	}
	req := &sim.Request{PromptTokens: promptTokens, MaxTokens: maxTokens}
	if cfg.PrefixCaching {
		req.BlockHashes = sim.BlockHashes(p.prompt, cfg.BlockSize)
	}
	obs := newStreamObserver()
	req.Observer = obs
	var h sim.Handle
	var err error
	s.rt.Do(func(e *sim.Engine) { obs.arrive = e.Now(); h, err = e.Submit(req) })
	if err != nil {
		if errors.Is(err, sim.ErrBadRequest) {
			refused(w, "max_tokens", err)
		} else {
			writeAPIError(w, http.StatusInternalServerError, "server_error", "", "", "%v", err)
		}
		return
	}
	id := fmt.Sprintf("%s-%s%d", map[bool]string{true: "chatcmpl", false: "cmpl"}[p.chat], s.idBase, s.nextID.Add(1))
	out := &output{chat: p.chat, id: id, created: time.Now().Unix(), model: s.opts.Model, prompt: promptTokens, max: maxTokens,
		obs: obs, timeScale: s.rt.TimeScale(), timing: p.timing, workerID: p.workerID}
	if p.stream {
		s.stream(w, r, h, obs, out, p.includeUsage, s.spikeDelay(faults), s.dice.hit(faults.StreamDropRate))
		return
	}
	s.complete(w, r, h, obs, out)
}

// abortOnReturn stops the engine's work for a request the client left.
func (s *Server) abort(h sim.Handle) { s.rt.Do(func(e *sim.Engine) { e.Abort(h) }) }

func (s *Server) stream(w http.ResponseWriter, r *http.Request, h sim.Handle, obs *streamObserver, out *output, includeUsage bool, spike time.Duration, drop bool) {
	flusher, _ := w.(http.Flusher)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Connection", "keep-alive")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	buf := out.appendChunk(nil, 0, "") // the role chunk, as vLLM sends before any token
	sent := 0
	rc := http.NewResponseController(w)
	timeout := s.opts.StreamWriteTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	for {
		// A client that stops reading fills the socket; the deadline
		// drops it instead of holding the request (and its KV) forever.
		_ = rc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := w.Write(buf); err != nil {
			s.abort(h)
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		buf = buf[:0]
		select {
		case <-obs.notify:
		case <-r.Context().Done():
			s.abort(h)
			return
		}
		n, done, reason := obs.state()
		if n > 0 && sent == 0 && spike > 0 {
			// Injected latency spike: hold the first token back.
			select {
			case <-time.After(spike):
			case <-r.Context().Done():
				s.abort(h)
				return
			}
		}
		if (drop && sent > 0) || reason == sim.FinishError {
			// An injected drop, or the worker crashed: the connection
			// closes without the end of the stream, as a dead worker's does.
			s.abort(h)
			panic(http.ErrAbortHandler)
		}
		finished := false
		for sent < n {
			sent++
			finish := ""
			if done && sent == n && reason == sim.FinishLength {
				finish, finished = string(reason), true // the last token carries the reason, as vLLM sends it
			}
			buf = out.appendChunk(buf, sent, finish)
		}
		if done {
			if !finished {
				// The end came after the last token was written (or with
				// no token, or by abort): close with an empty chunk.
				buf = out.appendChunk(buf, -1, string(reason))
			}
			if includeUsage {
				buf = out.appendUsage(buf, sent)
			}
			buf = append(buf, "data: [DONE]\n\n"...)
			_, _ = w.Write(buf)
			if flusher != nil {
				flusher.Flush()
			}
			return
		}
	}
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, h sim.Handle, obs *streamObserver, out *output) {
	for {
		select {
		case <-obs.notify:
		case <-r.Context().Done():
			s.abort(h)
			return
		}
		if n, done, reason := obs.state(); done {
			if reason == sim.FinishError {
				writeAPIError(w, http.StatusInternalServerError, "server_error", "", "", "the worker serving the request failed")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(out.response(n, string(reason)))
			return
		}
	}
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": []map[string]any{{
		"id": s.opts.Model, "object": "model", "created": s.started.Unix(), "owned_by": "plannerbench-sim", "max_model_len": s.rt.eng.Config().MaxModelLen,
	}}})
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	snap := s.rt.Snapshot()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "ok", "model": s.opts.Model, "time_scale": s.rt.TimeScale(),
		"prefill_ready": snap.Count(sim.RolePrefill, sim.WorkerReady), "decode_ready": snap.Count(sim.RoleDecode, sim.WorkerReady),
	})
}

// admin guards the /admin endpoints: loopback callers only unless allowed,
// and the bearer token when one is set.
func (s *Server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.AllowRemoteAdmin && !isLoopback(r.RemoteAddr) {
			writeAPIError(w, http.StatusForbidden, "permission_error", "", "", "admin endpoints answer loopback callers only")
			return
		}
		if s.opts.AdminToken != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.AdminToken)) != 1 {
				writeAPIError(w, http.StatusUnauthorized, "authentication_error", "", "", "missing or wrong admin token")
				return
			}
		}
		next(w, r)
	}
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ScaleRequest is the body of POST /admin/scale: absolute worker counts,
// or changes relative to the workers serving or starting (a planner's
// "one more prefill worker" whatever is still starting).
type ScaleRequest struct {
	Prefill      *int `json:"prefill,omitempty"`
	Decode       *int `json:"decode,omitempty"`
	PrefillDelta int  `json:"prefill_delta,omitempty"`
	DecodeDelta  int  `json:"decode_delta,omitempty"`
}

func (s *Server) handleScale(w http.ResponseWriter, r *http.Request) {
	var req ScaleRequest
	if !decodeBody(w, r, &req) {
		return
	}
	var err error
	var snap sim.Snapshot
	s.rt.Do(func(e *sim.Engine) {
		cur := e.Snapshot()
		p, d := cur.Count(sim.RolePrefill, sim.WorkerReady)+cur.Count(sim.RolePrefill, sim.WorkerStarting), cur.Count(sim.RoleDecode, sim.WorkerReady)+cur.Count(sim.RoleDecode, sim.WorkerStarting)
		if req.Prefill != nil {
			p = *req.Prefill
		}
		if req.Decode != nil {
			d = *req.Decode
		}
		p, d = p+req.PrefillDelta, d+req.DecodeDelta
		if err = e.Scale(p, d); err == nil {
			snap = e.Snapshot()
		}
	})
	if err != nil {
		refused(w, "", err)
		return
	}
	s.opts.Logger.Info("scaled", "prefill", snap.Count(sim.RolePrefill, sim.WorkerReady)+snap.Count(sim.RolePrefill, sim.WorkerStarting), "decode", snap.Count(sim.RoleDecode, sim.WorkerReady)+snap.Count(sim.RoleDecode, sim.WorkerStarting), "num_gpu", snap.NumGPU)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(snap)
}

func (s *Server) handleState(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.rt.Snapshot())
}

// Snapshot returns the engine's state now.
func (r *Realtime) Snapshot() sim.Snapshot {
	var s sim.Snapshot
	r.Do(func(e *sim.Engine) { s = e.Snapshot() })
	return s
}

// output formats one request's responses. Streaming chunks are appended by
// hand from a per-request prefix: they are the server's hot path.
type output struct {
	chat    bool
	id      string
	created int64
	model   string
	prompt  int
	max     int
	prefix  []byte
	// obs says, at the end, the cached prompt tokens and what nvext
	// reports (timing, workerID: asked for), its engine durations over
	// timeScale in wall ms.
	obs              *streamObserver
	timeScale        float64
	timing, workerID bool
}

// finalFields returns the usage and, when asked for, the nvext of the
// last message.
func (o *output) finalFields(completion int) (usage, map[string]any) {
	u := usage{PromptTokens: o.prompt, CompletionTokens: completion, TotalTokens: o.prompt + completion}
	if o.obs == nil {
		return u, nil
	}
	cached, timing, workers := o.obs.extras(o.timeScale)
	if cached > 0 {
		u.PromptTokensDetails = &promptTokensDetails{CachedTokens: cached}
	}
	nv := map[string]any{}
	if o.timing && timing != nil {
		nv["timing"] = timing
	}
	if o.workerID && workers != nil {
		nv["worker_id"] = workers
	}
	if len(nv) == 0 {
		return u, nil
	}
	return u, nv
}

func (o *output) chunkPrefix() []byte {
	if o.prefix == nil {
		model, _ := json.Marshal(o.model)
		object := "text_completion"
		if o.chat {
			object = "chat.completion.chunk"
		}
		o.prefix = fmt.Appendf(nil, `data: {"id":%q,"object":%q,"created":%d,"model":%s,"choices":[{"index":0,`, o.id, object, o.created, model)
	}
	return o.prefix
}

// appendChunk adds the chunk of token n (n = 0: the role chunk; n < 0: an
// empty closing chunk) with finish ("" while streaming).
func (o *output) appendChunk(b []byte, n int, finish string) []byte {
	b = append(b, o.chunkPrefix()...)
	text := ""
	if n > 0 {
		text = outputToken(n)
	}
	switch {
	case o.chat && n == 0:
		b = append(b, `"delta":{"role":"assistant","content":""}`...)
	case o.chat && n < 0:
		b = append(b, `"delta":{}`...)
	case o.chat:
		b = append(b, `"delta":{"content":`...)
		b = strconv.AppendQuote(b, text)
		b = append(b, '}')
	default:
		b = append(b, `"text":`...)
		b = strconv.AppendQuote(b, text)
	}
	b = append(b, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendQuote(b, finish)
	}
	return append(b, "}]}\n\n"...)
}

func (o *output) appendUsage(b []byte, completion int) []byte {
	object := "text_completion"
	if o.chat {
		object = "chat.completion.chunk"
	}
	u, nv := o.finalFields(completion)
	msg := map[string]any{"id": o.id, "object": object, "created": o.created, "model": o.model, "choices": []any{}, "usage": u}
	if nv != nil {
		msg["nvext"] = nv
	}
	body, _ := json.Marshal(msg)
	b = append(b, "data: "...)
	b = append(b, body...)
	return append(b, "\n\n"...)
}

func (o *output) response(n int, finish string) map[string]any {
	var text strings.Builder
	for i := 1; i <= n; i++ {
		text.WriteString(outputToken(i))
	}
	choice := map[string]any{"index": 0, "logprobs": nil, "finish_reason": finish}
	object := "text_completion"
	if o.chat {
		object = "chat.completion"
		choice["message"] = map[string]any{"role": "assistant", "content": text.String()}
	} else {
		choice["text"] = text.String()
	}
	u, nv := o.finalFields(n)
	msg := map[string]any{"id": o.id, "object": object, "created": o.created, "model": o.model, "choices": []any{choice}, "usage": u}
	if nv != nil {
		msg["nvext"] = nv
	}
	return msg
}

// oneChoice refuses n other than 1: the simulator streams one choice.
func oneChoice(w http.ResponseWriter, n *int) bool {
	if n != nil && *n != 1 {
		badRequest(w, "n", "n must be 1 (the simulator generates one choice), got %d", *n)
		return false
	}
	return true
}
