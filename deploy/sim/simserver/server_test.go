package simserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/observe"
)

const testModel = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"

// startServer serves a fresh engine at time_scale scale.
func startServer(t *testing.T, prefill, decode int, scale float64, opts ServerOptions, mutate ...func(*sim.GraphConfig)) (*httptest.Server, *Realtime) {
	t.Helper()
	eng := testEngine(t, prefill, decode, mutate...)
	rt := NewRealtime(eng, scale)
	ctx, cancel := context.WithCancel(context.Background())
	go rt.Run(ctx)
	srv := httptest.NewServer(NewServer(rt, opts).Handler())
	t.Cleanup(func() { srv.Close(); cancel() })
	return srv, rt
}

func words(n int) string { return strings.TrimSpace(strings.Repeat("w ", n)) }

func TestGoOpenAIStreamingWithUsage(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 20, ServerOptions{})
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = srv.URL + "/v1"
	client := openai.NewClientWithConfig(cfg)
	stream, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model:         testModel,
		Messages:      []openai.ChatCompletionMessage{{Role: "user", Content: words(3000)}},
		MaxTokens:     20,
		Stream:        true,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true},
	})
	require.NoError(t, err)
	defer stream.Close()
	var content strings.Builder
	var got *openai.Usage
	var finish openai.FinishReason
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if resp.Usage != nil {
			got = resp.Usage
			require.Empty(t, resp.Choices, "the usage chunk has no choices")
			continue
		}
		require.Len(t, resp.Choices, 1)
		content.WriteString(resp.Choices[0].Delta.Content)
		if resp.Choices[0].FinishReason != "" {
			finish = resp.Choices[0].FinishReason
		}
	}
	require.Equal(t, openai.FinishReasonLength, finish)
	require.Equal(t, 20, sim.CountTokens(content.String()), "one word a token")
	require.NotNil(t, got)
	require.Equal(t, 3000, got.PromptTokens)
	require.Equal(t, 20, got.CompletionTokens)
	require.Equal(t, 3020, got.TotalTokens)
}

func TestGoOpenAINonStreaming(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 20, ServerOptions{})
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = srv.URL + "/v1"
	client := openai.NewClientWithConfig(cfg)
	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: testModel, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi there"}}, MaxCompletionTokens: 7,
	})
	require.NoError(t, err)
	require.Equal(t, 7, sim.CountTokens(resp.Choices[0].Message.Content))
	require.Equal(t, 2, resp.Usage.PromptTokens)
	comp, err := client.CreateCompletion(context.Background(), openai.CompletionRequest{Model: testModel, Prompt: "one two three", MaxTokens: 3})
	require.NoError(t, err)
	require.Equal(t, 3, comp.Usage.CompletionTokens)
	require.Equal(t, " the quick brown", comp.Choices[0].Text)
}

func TestCurlReadsTheStream(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	srv, _ := startServer(t, 1, 1, 20, ServerOptions{})
	body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"a b c d"}],"max_tokens":5,"stream":true,"stream_options":{"include_usage":true}}`
	out, err := exec.Command(curl, "-sS", "-N", "-H", "Content-Type: application/json", "-d", body, srv.URL+"/v1/chat/completions").Output()
	require.NoError(t, err)
	events := strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n")
	// role chunk, 5 tokens, maybe an empty closing chunk, usage, [DONE]
	require.Contains(t, []int{8, 9}, len(events), "%s", out)
	require.Contains(t, events[0], `"role":"assistant"`)
	content, finishes := 0, 0
	for _, ev := range events {
		require.True(t, strings.HasPrefix(ev, "data: "), ev)
		if strings.Contains(ev, `"content":" `) {
			content++
		}
		if strings.Contains(ev, `"finish_reason":"length"`) {
			finishes++
		}
	}
	require.Equal(t, 5, content)
	require.Equal(t, 1, finishes, "exactly one chunk says why the stream ended")
	require.Equal(t, "data: [DONE]", events[len(events)-1])
	var usageChunk struct {
		Choices []any `json:"choices"`
		Usage   usage `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(events[len(events)-2], "data: ")), &usageChunk))
	require.Equal(t, usage{PromptTokens: 4, CompletionTokens: 5, TotalTokens: 9}, usageChunk.Usage)
	require.Empty(t, usageChunk.Choices)
}

func TestOpenAIShapedErrors(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 20, ServerOptions{})
	post := func(path, body string) (int, apiError) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var e struct {
			Error apiError `json:"error"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		return resp.StatusCode, e.Error
	}
	code, e := post("/v1/chat/completions", `{"model": "m", "messages": [`)
	require.Equal(t, 400, code)
	require.Equal(t, "invalid_request_error", e.Type)
	require.Contains(t, e.Message, "could not parse the JSON body")

	code, e = post("/v1/chat/completions", `{"model": "gpt-4", "messages": [{"role":"user","content":"hi"}]}`)
	require.Equal(t, 404, code)
	require.Equal(t, "model_not_found", *e.Code)

	code, e = post("/v1/chat/completions", `{"model": "`+testModel+`", "messages": [{"role":"user","content":"hi"}], "max_tokens": 20000}`)
	require.Equal(t, 400, code)
	require.Contains(t, e.Message, "maximum context length is 16384")

	code, e = post("/v1/completions", `{"model": "`+testModel+`", "prompt": "hi", "max_tokens": 3, "min_tokens": 9}`)
	require.Equal(t, 400, code)
	require.Equal(t, "min_tokens", *e.Param)

	_, openaiErr := openai.NewClientWithConfig(func() openai.ClientConfig {
		c := openai.DefaultConfig("x")
		c.BaseURL = srv.URL + "/v1"
		return c
	}()).CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "nope", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "x"}}})
	var apiErr *openai.APIError
	require.ErrorAs(t, openaiErr, &apiErr, "go-openai decodes our error shape")
	require.Equal(t, 404, apiErr.HTTPStatusCode)
}

func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestMetricsParseAndMoveUnderLoad(t *testing.T) {
	srv, rt := startServer(t, 1, 1, 50, ServerOptions{}, alwaysRemote) // so the prefill queue grows
	idle := scrape(t, srv.URL)
	for _, name := range []string{"gpu_cache_usage_perc,state=ready,worker=decode-0", "num_requests_waiting,state=ready,worker=decode-0", "request_active_slots,state=ready,worker=decode-0",
		"prefill_queue_size", "num_gpu", "workers,role=prefill,state=ready", "workers,role=decode,state=ready"} {
		require.Contains(t, idle, name)
	}
	require.Equal(t, 2.0, idle["num_gpu"])
	require.Zero(t, idle["gpu_cache_usage_perc,state=ready,worker=decode-0"])

	// 30 concurrent long requests: queue and KV both move.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < 30; i++ {
		go func() {
			body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"` + words(3000) + `"}],"max_tokens":2000,"stream":true}`
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(body))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool {
		m := scrape(t, srv.URL)
		return m["prefill_queue_size"] > 5 && m["request_active_slots,state=ready,worker=decode-0"] >= 30
	}, 10*time.Second, 20*time.Millisecond, "queue and active slots rise")
	require.Eventually(t, func() bool {
		m := scrape(t, srv.URL)
		return m["gpu_cache_usage_perc,state=ready,worker=decode-0"] > 0.2 && m["sim_generated_tokens_total"] > 100
	}, 20*time.Second, 50*time.Millisecond, "KV usage and tokens rise")

	// Scaling shows in the worker gauges and num_gpu at once.
	resp, err := http.Post(srv.URL+"/admin/scale", "application/json", strings.NewReader(`{"prefill": 3}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	m := scrape(t, srv.URL)
	require.Equal(t, 2.0, m["workers,role=prefill,state=starting"])
	require.Equal(t, 4.0, m["num_gpu"])
	cancel()
	require.Eventually(t, func() bool {
		s := rt.Snapshot()
		return s.Counters.Aborted == 30 && s.Workers[len(s.Workers)-1].KVBlocksUsed == 0
	}, 10*time.Second, 20*time.Millisecond, "client disconnects abort and free KV")
}

func TestAdminGuard(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 1, ServerOptions{AdminToken: "s3cret"})
	req, _ := http.NewRequest("GET", srv.URL+"/admin/state", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.False(t, isLoopback("10.1.2.3:5000"))
	require.True(t, isLoopback("[::1]:5000"))

	resp, err = http.Post(srv.URL+"/admin/scale", "application/json", bytes.NewReader([]byte(`{"decode": 0}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode, "token checked before the body")
}

func TestStreamTimingFollowsTimeScale(t *testing.T) {
	// At time_scale 10 an idle 3000-token request's first token comes after
	// (259.75 + 6.1 + 19.7) ms / 10 ≈ 28.6 ms of wall time.
	srv, _ := startServer(t, 1, 1, 10, ServerOptions{})
	body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"` + words(3000) + `"}],"max_tokens":50,"stream":true}`
	start := time.Now()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var first, last time.Duration
	tokens := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, `"content":" `) {
			tokens++
			if tokens == 1 {
				first = time.Since(start)
			}
			last = time.Since(start)
		}
	}
	require.Equal(t, 50, tokens)
	require.GreaterOrEqual(t, first, 28*time.Millisecond)
	require.Less(t, first, 500*time.Millisecond, "generous bound for a loaded CI machine")
	// 49 more steps of ≈ 19.7 ms / 10 after the first token's ≈ 28.6 ms. A
	// token is never sent before its virtual time, so a busy machine can
	// only make last later; last − first can shrink when the first token
	// was read late, so the bound is on last, from the request's start.
	require.GreaterOrEqual(t, last, (28+95)*time.Millisecond)
}

// TestPlannerSampleMatchesParsedMetrics checks that the planner sees the
// same thing from /metrics (a real run) and from a snapshot (a replay).
func TestPlannerSampleMatchesParsedMetrics(t *testing.T) {
	srv, rt := startServer(t, 2, 3, 1e-9, ServerOptions{}, alwaysRemote) // the clock all but stands still
	rt.Do(func(e *sim.Engine) {
		for i := 0; i < 40; i++ {
			_, err := e.Submit(&sim.Request{PromptTokens: 2000 + 100*i, MaxTokens: 100})
			require.NoError(t, err)
		}
		require.NoError(t, e.Scale(3, 2)) // one decode worker drains, one prefill worker starts
		e.RunUntilIdle(e.Now() + 2*time.Second)
	})
	want := rt.Snapshot().PlannerSample(1)
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := observe.ParseMetrics(resp.Body, 1)
	require.NoError(t, err)
	got.At = want.At
	require.InDeltaSlice(t, want.KVLoads, got.KVLoads, 1e-12)
	got.KVLoads, want.KVLoads = nil, nil
	require.InDelta(t, want.AverageKVLoad, got.AverageKVLoad, 1e-12)
	got.AverageKVLoad = want.AverageKVLoad
	// plannerbench's own metric names label workers by name, not by the
	// instance ids nvext.worker_id reports: no per-instance map (Dynamo's
	// names carry it: TestDynamoNamesGiveThePlannersTheSameInputs).
	require.Nil(t, got.KVUsageByWorker)
	want.KVUsageByWorker = nil
	require.Equal(t, want, got)
	require.Equal(t, 1, got.DecodeDraining)
	require.Equal(t, 1, got.PrefillStarting)
	require.Greater(t, got.PrefillQueueSize, 0.0)
}

func TestAdminScaleDeltas(t *testing.T) {
	srv, rt := startServer(t, 1, 1, 1, ServerOptions{})
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/admin/scale", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, post(`{"prefill_delta": 1}`))
	require.Equal(t, 200, post(`{"prefill_delta": 1, "decode_delta": 1}`), "counts the worker still starting")
	s := rt.Snapshot()
	require.Equal(t, 2, s.Count(sim.RolePrefill, sim.WorkerStarting))
	require.Equal(t, 1, s.Count(sim.RoleDecode, sim.WorkerStarting))
	require.Equal(t, 400, post(`{"decode_delta": -2}`))
	require.Equal(t, 400, post(`{"prefill": 9}`), "more GPUs than the machine has")
}

// The same graph read through Dynamo's and vLLM's metric names gives the
// planners the same inputs as plannerbench's own names, except what real
// metrics cannot show: workers still starting or draining (and so the
// GPUs they hold).
func TestDynamoNamesGiveThePlannersTheSameInputs(t *testing.T) {
	srv, rt := startServer(t, 2, 3, 1e-9, ServerOptions{}, alwaysRemote)
	rt.Do(func(e *sim.Engine) {
		for i := 0; i < 40; i++ {
			_, err := e.Submit(&sim.Request{PromptTokens: 2000 + 100*i, MaxTokens: 100})
			require.NoError(t, err)
		}
		require.NoError(t, e.Scale(3, 2))
		e.RunUntilIdle(e.Now() + 2*time.Second)
	})
	want := rt.Snapshot().PlannerSample(1)
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := observe.ParseMetricsAs(resp.Body, 1, observe.DialectDynamo)
	require.NoError(t, err)
	require.Greater(t, want.PrefillQueueSize, 2.0, "jobs queue, so the shares are exercised")
	require.Equal(t, want.PrefillWorkers, got.PrefillWorkers)
	require.Equal(t, want.DecodeWorkers, got.DecodeWorkers)
	require.Equal(t, want.PrefillQueueSize, got.PrefillQueueSize)
	require.InDelta(t, want.PrefillQueuedTokens, got.PrefillQueuedTokens, 1e-6)
	require.Equal(t, want.TotalQueuedRequests, got.TotalQueuedRequests)
	require.Equal(t, want.ActiveRequests, got.ActiveRequests)
	require.InDeltaSlice(t, want.KVLoads, got.KVLoads, 1e-12)
	require.InDeltaSlice(t, want.KVUsages, got.KVUsages, 1e-12)
	require.Len(t, got.KVUsageByWorker, want.DecodeWorkers)
	for id, u := range want.KVUsageByWorker {
		require.InDelta(t, u, got.KVUsageByWorker[id], 1e-12, "worker_id %s: the instance id nvext.worker_id reports", id)
	}
	require.InDeltaSlice(t, want.KVDemands, got.KVDemands, 1e-12)
	require.InDelta(t, want.AverageKVLoad, got.AverageKVLoad, 1e-12)
	require.Equal(t, want.NumGPU, got.NumGPU)
	require.Equal(t, want.RequestsReceived, got.RequestsReceived)
	require.Equal(t, want.PromptTokensReceived, got.PromptTokensReceived)
	require.Equal(t, want.OutputTokensRequested, got.OutputTokensRequested)
	require.Equal(t, 1, want.PrefillStarting)
	require.Zero(t, got.PrefillStarting, "not visible in metrics")
	require.Equal(t, got.NumGPU, got.GPUsHeld)
}

// A request that asks for nvext.timing and worker_id gets Dynamo's prefill
// wait and prefill time, and its two workers, with its usage; one that
// does not, gets none.
func TestServerAnswersNVExtTiming(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 20, ServerOptions{})
	ask := func(prompt, nv string) map[string]any {
		body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"` + prompt + `"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}` + nv + `}`
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		events := strings.Split(strings.TrimSuffix(string(data), "\n\n"), "\n\n")
		var last map[string]any
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(events[len(events)-2], "data: ")), &last))
		return last
	}
	both := `,"nvext":{"extra_fields":["timing","worker_id"]}`
	workers := func(last map[string]any) map[string]any {
		return last["nvext"].(map[string]any)["worker_id"].(map[string]any)
	}
	// disagg_router prefills up to 10 uncached tokens locally
	// (max_local_prefill_length), longer prompts on a prefill worker.
	local := workers(ask("a b c d", both))
	require.Equal(t, local["prefill_worker_id"], local["decode_worker_id"], "a local prefill: one worker")
	last := ask(strings.Repeat("word ", 200), both)
	remote := workers(last)
	require.NotEqual(t, remote["prefill_worker_id"], remote["decode_worker_id"], "a remote prefill: two workers")
	require.NotZero(t, remote["decode_worker_id"])
	timing := last["nvext"].(map[string]any)["timing"].(map[string]any)
	wait, pre, ttft := timing["prefill_wait_time_ms"].(float64), timing["prefill_time_ms"].(float64), timing["ttft_ms"].(float64)
	require.GreaterOrEqual(t, wait, 0.0)
	require.Greater(t, pre, 0.0)
	require.InDelta(t, ttft, wait+pre, 1e-6, "ttft is the wait and the prefill")
	require.NotContains(t, ask("a b c d", ""), "nvext")
}
