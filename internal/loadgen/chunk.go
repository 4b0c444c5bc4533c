package loadgen

import (
	"fmt"
	"math"

	"github.com/valyala/fastjson"
)

// parserPool reuses fastjson parsers across requests.
var parserPool fastjson.ParserPool

// chunk is what the driver needs from one streamed chat completion chunk.
type chunk struct {
	content          bool // a choice carried non-empty content
	finishReason     string
	hasUsage         bool
	promptTokens     int32
	completionTokens int32
	// cachedTokens is usage.prompt_tokens_details.cached_tokens (-1:
	// absent); prefillWaitMS and prefillMS are nvext.timing's, wall ms
	// (NaN: absent).
	cachedTokens             int32
	prefillWaitMS, prefillMS float64
	// prefillLocal is nvext.worker_id's: 1 when the prefill worker is the
	// decode worker, 0 when not, -1 absent.
	prefillLocal int32
	// decodeWorker is nvext.worker_id's decode_worker_id (-1: absent).
	decodeWorker int64
}

// parseChunk reads a chunk with fastjson rather than go-openai's
// encoding/json decoding: on a 500 req/s replay that decoding was 40% of the
// driver's CPU, and the driver needs four fields.
func parseChunk(p *fastjson.Parser, raw []byte) (chunk, error) {
	v, err := p.ParseBytes(raw)
	if err != nil {
		return chunk{}, fmt.Errorf("malformed stream chunk: %w", err)
	}
	c := chunk{cachedTokens: -1, prefillWaitMS: math.NaN(), prefillMS: math.NaN(), prefillLocal: -1, decodeWorker: -1}
	for _, choice := range v.GetArray("choices") {
		if len(choice.GetStringBytes("delta", "content")) > 0 || len(choice.GetStringBytes("text")) > 0 {
			c.content = true
		}
		if fr := choice.GetStringBytes("finish_reason"); len(fr) > 0 {
			c.finishReason = string(fr)
		}
	}
	if u := v.Get("usage"); u != nil && u.Type() == fastjson.TypeObject {
		c.hasUsage = true
		for _, f := range []struct {
			key string
			to  *int32
		}{{"prompt_tokens", &c.promptTokens}, {"completion_tokens", &c.completionTokens}} {
			v := u.Get(f.key)
			if v == nil || v.Type() != fastjson.TypeNumber {
				continue // absent (or not a number): unknown
			}
			// Read as a float: JSON allows 150.0 for 150 (fuzzing found
			// that an integer read turned it into 0).
			n, _ := v.Float64()
			if n < 0 || n > math.MaxInt32 || n != math.Trunc(n) {
				return chunk{}, fmt.Errorf("malformed stream chunk: usage.%s %v is not a token count", f.key, v)
			}
			*f.to = int32(n)
		}
		if v := u.Get("prompt_tokens_details", "cached_tokens"); v != nil && v.Type() == fastjson.TypeNumber {
			n, _ := v.Float64()
			if n < 0 || n > math.MaxInt32 || n != math.Trunc(n) {
				return chunk{}, fmt.Errorf("malformed stream chunk: usage.prompt_tokens_details.cached_tokens %v is not a token count", v)
			}
			c.cachedTokens = int32(n)
		}
	}
	// Dynamo's nvext.timing (lib/llm/src/protocols/common/timing.rs,
	// TimingInfo): wall ms from arrival to prefill start, and from there
	// to the first token.
	for _, f := range []struct {
		key string
		to  *float64
	}{{"prefill_wait_time_ms", &c.prefillWaitMS}, {"prefill_time_ms", &c.prefillMS}} {
		if v := v.Get("nvext", "timing", f.key); v != nil && v.Type() == fastjson.TypeNumber {
			x, _ := v.Float64()
			if x < 0 || math.IsInf(x, 0) {
				return chunk{}, fmt.Errorf("malformed stream chunk: nvext.timing.%s %v is not a duration", f.key, v)
			}
			*f.to = x
		}
	}
	if w := v.Get("nvext", "worker_id"); w != nil {
		p, d := w.Get("prefill_worker_id"), w.Get("decode_worker_id")
		if p != nil && d != nil && p.Type() == fastjson.TypeNumber && d.Type() == fastjson.TypeNumber {
			c.prefillLocal = 0
			if p.String() == d.String() {
				c.prefillLocal = 1
			}
			if id, err := d.Int64(); err == nil && id >= 0 {
				c.decodeWorker = id
			}
		}
	}
	return c, nil
}
