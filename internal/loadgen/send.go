package loadgen

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"time"

	"github.com/sashabaranov/go-openai"

	"plannerbench/schemas"
)

// send runs one streaming chat completion (sent with go-openai, its events
// read from the body by sseReader and parsed with fastjson) and returns its
// record. Metric definitions follow AIPerf: TTFT is the first chunk with
// content minus the send time; latency is the final message minus the send
// time; ITL is (latency - TTFT) / (output tokens - 1). Durations are scaled
// to trace time.
func (d *driver) send(ctx context.Context, j job, target time.Time, late time.Duration) schemas.RequestRecord {
	r := schemas.NewRequestRecord(j.index, &schemas.TraceRecord{InputLength: j.input, OutputLength: j.output})
	r.ScheduledAt, r.LatenessMS, r.Attempt = target, float64(late)/float64(time.Millisecond), d.cfg.Attempt
	st := &reqState{minTokens: j.output}
	rctx, cancel := context.WithTimeout(withState(ctx, st), d.cfg.RequestTimeout)
	defer cancel()
	stream, err := d.client.CreateChatCompletionStream(rctx, openai.ChatCompletionRequest{
		Model:         d.cfg.Model,
		Messages:      []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: j.prompt}},
		MaxTokens:     j.output,
		Stream:        true,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true},
	})
	r.SentAt, r.AckAt = st.sentAt, st.ackAt
	if err != nil {
		d.fail(&r, ctx, err, false)
		return r
	}
	defer stream.Close() // closes the body sse reads
	sse := newSSEReader(st.body)
	var first, lastContent time.Time
	var gaps []float64 // wall ms between content chunks
	parser := parserPool.Get()
	defer parserPool.Put(parser)
	for {
		raw, at, err := sse.next()
		if errors.Is(err, io.EOF) {
			r.EndAt = at
			break
		}
		if err != nil {
			r.FirstTokenAt = first
			d.fail(&r, ctx, err, true)
			return r
		}
		c, err := parseChunk(parser, raw)
		if err != nil {
			r.FirstTokenAt = first
			d.fail(&r, ctx, err, true)
			return r
		}
		if c.hasUsage {
			r.PromptTokens, r.CompletionTokens = c.promptTokens, c.completionTokens
			if c.cachedTokens >= 0 {
				r.CachedTokens = c.cachedTokens
			}
		}
		if !math.IsNaN(c.prefillWaitMS) {
			r.PrefillWaitMS = c.prefillWaitMS * d.cfg.TimeScale
		}
		if c.prefillLocal >= 0 {
			r.PrefillLocal, r.DecodeWorker = c.prefillLocal, c.decodeWorker
		}
		if !math.IsNaN(c.prefillMS) {
			r.PrefillMS = c.prefillMS * d.cfg.TimeScale
		}
		if c.content {
			r.Chunks++
			if first.IsZero() {
				first = at
			} else {
				gaps = append(gaps, float64(at.Sub(lastContent))/float64(time.Millisecond))
			}
			lastContent = at
		}
		if c.finishReason != "" {
			r.FinishReason = c.finishReason
		}
	}
	if r.EndAt.IsZero() {
		r.EndAt = lastContent
	}
	r.HTTPStatus = 200
	out := int(r.CompletionTokens)
	if out < 0 {
		out = int(r.Chunks)
	}
	r.SetTimings(r.SentAt, first, r.EndAt, out, d.cfg.TimeScale)
	r.SetDecodeStep(first, gaps, d.cfg.TimeScale)
	if r.Chunks == 0 {
		r.Status, r.ErrorClass, r.Error = schemas.StatusError, schemas.ErrClassStream, "the stream ended without content"
		d.errs.Add(1)
		return r
	}
	r.Status = schemas.StatusOK
	d.done.Add(1)
	return r
}

// fail classifies err into the record: HTTP answers, timeouts, connection
// failures, broken streams, and the driver's own stop.
func (d *driver) fail(r *schemas.RequestRecord, ctx context.Context, err error, streaming bool) {
	r.Status, r.Error = schemas.StatusError, err.Error()
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		r.Status, r.ErrorClass = schemas.StatusInterrupted, schemas.ErrClassCanceled
		d.interrupted.Add(1)
		return
	case errors.Is(err, context.DeadlineExceeded):
		r.ErrorClass = schemas.ErrClassTimeout
	case errors.As(err, &apiErr):
		r.ErrorClass, r.HTTPStatus = schemas.ErrClassHTTP, int32(apiErr.HTTPStatusCode)
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode > 0:
		r.ErrorClass, r.HTTPStatus = schemas.ErrClassHTTP, int32(reqErr.HTTPStatusCode)
	case streaming:
		r.ErrorClass = schemas.ErrClassStream
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		r.ErrorClass = schemas.ErrClassConnection
	default:
		r.ErrorClass = schemas.ErrClassConnection
	}
	if r.HTTPStatus == 0 && streaming {
		r.HTTPStatus = 200
	}
	if math.IsNaN(r.LatencyMS) && !r.SentAt.IsZero() {
		r.EndAt = time.Now()
	}
	d.errs.Add(1)
}
