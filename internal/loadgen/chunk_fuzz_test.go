package loadgen

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

// FuzzParseChunk checks the stream chunk parser (fastjson) against
// encoding/json as an independent reader: for any body encoding/json reads
// as a chunk object, both must agree on content, finish reason and usage;
// nothing may panic.
func FuzzParseChunk(f *testing.F) {
	for _, seed := range []string{
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"content":" the"},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"content":" end"},"finish_reason":"length"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":3000,"completion_tokens":150,"total_tokens":3150}}`,
		`{"choices":[{"index":0,"text":" x","finish_reason":null}]}`,
		`{"choices":[{"delta":{"content":7}}]}`,
		`not json`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p fastjson.Parser
		got, err := parseChunk(&p, raw)
		// encoding/json into maps: keys matched exactly, as the wire has them.
		var want map[string]any
		if json.Unmarshal(raw, &want) != nil || want == nil {
			return // not a chunk object encoding/json reads
		}
		if u, ok := want["usage"].(map[string]any); ok {
			for _, key := range []string{"prompt_tokens", "completion_tokens"} {
				if n, ok := u[key].(float64); ok && (n < 0 || n > 1<<31-1 || n != float64(int64(n))) {
					if err == nil {
						t.Fatalf("%q: usage.%s %v accepted", raw, key, n)
					}
					return // refused, as it must be
				}
			}
		}
		if err != nil {
			t.Fatalf("encoding/json reads %q but parseChunk refused it: %v", raw, err)
		}
		content, finish := false, ""
		choices, _ := want["choices"].([]any)
		for _, ch := range choices {
			c, _ := ch.(map[string]any)
			if d, ok := c["delta"].(map[string]any); ok {
				if s, ok := d["content"].(string); ok && s != "" {
					content = true
				}
			}
			if s, ok := c["text"].(string); ok && s != "" {
				content = true
			}
			if s, ok := c["finish_reason"].(string); ok && s != "" {
				finish = s
			}
		}
		if got.content != content || got.finishReason != finish {
			t.Fatalf("%q: parseChunk content %v finish %q, encoding/json %v %q", raw, got.content, got.finishReason, content, finish)
		}
		_, isObject := want["usage"].(map[string]any)
		if got.hasUsage != isObject {
			t.Fatalf("%q: usage %v, encoding/json %v", raw, got.hasUsage, isObject)
		}
		if isObject {
			u := want["usage"].(map[string]any)
			for key, v := range map[string]int32{"prompt_tokens": got.promptTokens, "completion_tokens": got.completionTokens} {
				if n, ok := u[key].(float64); ok && n == float64(int64(n)) && n >= 0 && n < 1<<31 && float64(v) != n {
					t.Fatalf("%q: %s %d, encoding/json %v", raw, key, v, n)
				}
				if v < -1 {
					t.Fatalf("%q: %s read as %d", raw, key, v)
				}
			}
		}
	})
}

func TestParseChunkRefusesUsageOutOfRange(t *testing.T) {
	var p fastjson.Parser
	_, err := parseChunk(&p, []byte(`{"choices":[],"usage":{"prompt_tokens":3000,"completion_tokens":4294967446}}`))
	if err == nil || err.Error() != "malformed stream chunk: usage.completion_tokens 4294967446 is not a token count" {
		t.Fatalf("got %v", err)
	}
}

// The usage chunk's cached tokens and nvext.timing are read; absent, they
// stay missing.
func TestParseChunkReadsCachedTokensAndTiming(t *testing.T) {
	var p fastjson.Parser
	c, err := parseChunk(&p, []byte(`{"choices":[],"usage":{"prompt_tokens":3000,"completion_tokens":150,"prompt_tokens_details":{"cached_tokens":512}},"nvext":{"timing":{"prefill_wait_time_ms":12.5,"prefill_time_ms":190.25},"worker_id":{"prefill_worker_id":3,"decode_worker_id":2}}}`))
	require.NoError(t, err)
	require.EqualValues(t, 512, c.cachedTokens)
	require.EqualValues(t, 0, c.prefillLocal)
	require.EqualValues(t, 2, c.decodeWorker)
	require.Equal(t, []float64{12.5, 190.25}, []float64{c.prefillWaitMS, c.prefillMS})
	c, err = parseChunk(&p, []byte(`{"choices":[],"usage":{"prompt_tokens":3000,"completion_tokens":150}}`))
	require.NoError(t, err)
	require.EqualValues(t, -1, c.cachedTokens)
	require.EqualValues(t, -1, c.prefillLocal)
	require.EqualValues(t, -1, c.decodeWorker)
	require.True(t, math.IsNaN(c.prefillWaitMS) && math.IsNaN(c.prefillMS))
	_, err = parseChunk(&p, []byte(`{"choices":[],"nvext":{"timing":{"prefill_time_ms":-1}}}`))
	require.ErrorContains(t, err, "nvext.timing.prefill_time_ms")
}
