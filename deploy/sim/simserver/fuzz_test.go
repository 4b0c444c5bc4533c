package simserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plannerbench/deploy/sim"
)

// FuzzRequestDecoding sends arbitrary bodies to both generation routes:
// every answer is 200, or an OpenAI-shaped error (400, 404, 413) whose
// message is not empty; nothing panics or hangs.
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"model":"deepseek-ai/DeepSeek-R1-Distill-Llama-8B","messages":[{"role":"user","content":"hi there"}],"max_tokens":2}`,
		`{"model":"deepseek-ai/DeepSeek-R1-Distill-Llama-8B","prompt":"hi","max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"deepseek-ai/DeepSeek-R1-Distill-Llama-8B","messages":[{"role":"user","content":[{"type":"text","text":"a b"}]}],"n":2}`,
		`{"model":"m","messages":[`,
		`{"model":"deepseek-ai/DeepSeek-R1-Distill-Llama-8B","prompt":["a","b"],"max_tokens":-1,"min_tokens":3}`,
		"\xff",
	} {
		f.Add([]byte(seed))
	}
	prof, err := sim.LoadProfile("h100-llama8b-2026")
	if err != nil {
		f.Fatal(err)
	}
	eng, err := sim.NewEngine(prof, disaggRouterGraph(f))
	if err != nil {
		f.Fatal(err)
	}
	rt := NewRealtime(eng, 1e6)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	go rt.Run(ctx)
	h := NewServer(rt, ServerOptions{}).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/chat/completions", "/v1/completions"} {
			rctx, stop := context.WithTimeout(context.Background(), 2*time.Second)
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body))).WithContext(rctx)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			stop()
			switch w.Code {
			case http.StatusOK:
			case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
				var e struct {
					Error apiError `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
					t.Fatalf("%s %q: %d with body %q", path, body, w.Code, w.Body.String())
				}
			default:
				t.Fatalf("%s %q: status %d: %s", path, body, w.Code, w.Body.String())
			}
		}
	})
}
