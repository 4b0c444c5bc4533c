package simserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/observe"
	"plannerbench/schemas"
)

func setFaults(t *testing.T, url string, f sim.Faults) {
	t.Helper()
	body, _ := json.Marshal(f)
	resp, err := http.Post(url+"/admin/faults", "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

// streamOf posts a streaming chat request and reads it to the end: the
// content chunks seen, whether [DONE] came, and the read error if the
// connection broke.
func streamOf(t *testing.T, url string, maxTokens int) (status, chunks int, done bool, err error) {
	body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"` + words(300) + `"}],"max_tokens":` + itoa(maxTokens) + `,"stream":true}`
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, `"content":" `) {
			chunks++
		}
		if line == "data: [DONE]" {
			done = true
		}
	}
	return resp.StatusCode, chunks, done, sc.Err()
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestInjectedHTTPErrorsAndStreamDrops(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 200, ServerOptions{})
	setFaults(t, srv.URL, sim.Faults{HTTPErrorRate: 1})
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+testModel+`","messages":[{"role":"user","content":"hi"}]}`))
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 503, resp.StatusCode)
	require.Contains(t, string(data), "injected fault")

	setFaults(t, srv.URL, sim.Faults{StreamDropRate: 1})
	status, chunks, done, err := streamOf(t, srv.URL, 50)
	require.Equal(t, 200, status)
	require.False(t, done, "no end of stream")
	require.Error(t, err, "the connection broke")
	require.Less(t, chunks, 50)

	setFaults(t, srv.URL, sim.Faults{})
	_, chunks, done, err = streamOf(t, srv.URL, 50)
	require.NoError(t, err)
	require.True(t, done)
	require.Equal(t, 50, chunks, "switched off at run time")
}

func TestInjectedLatencySpike(t *testing.T) {
	srv, _ := startServer(t, 1, 1, 10, ServerOptions{})
	setFaults(t, srv.URL, sim.Faults{LatencySpikeRate: 1, LatencySpike: schemas.Duration(5 * time.Second)})
	start := time.Now()
	_, chunks, done, err := streamOf(t, srv.URL, 3)
	require.NoError(t, err)
	require.True(t, done)
	require.Equal(t, 3, chunks)
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "5 s of trace time at time scale 10")
}

// A crashed decode worker fails its in-flight requests (their streams
// break) and leaves the graph; the others go on.
func TestCrashedDecodeWorkerFailsItsRequests(t *testing.T) {
	srv, rt := startServer(t, 1, 2, 20, ServerOptions{}, alwaysRemote)
	type result struct {
		done bool
		err  error
	}
	results := make(chan result, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, _, done, err := streamOf(t, srv.URL, 2000)
			results <- result{done, err}
		}()
	}
	require.Eventually(t, func() bool {
		s := rt.Snapshot()
		busy := 0
		for _, w := range s.Workers {
			if w.Name == "decode-0" && w.ActiveSlots > 0 {
				busy++
			}
		}
		return busy > 0
	}, 10*time.Second, 10*time.Millisecond)
	resp, err := http.Post(srv.URL+"/admin/crash", "application/json", strings.NewReader(`{"worker":"decode-0"}`))
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	failed := int(out["failed_requests"].(float64))
	require.Greater(t, failed, 0)
	broken, completed := 0, 0
	for i := 0; i < 4; i++ {
		r := <-results
		if r.err != nil && !r.done {
			broken++
		} else if r.done {
			completed++
		}
	}
	require.Equal(t, failed, broken, "exactly the crashed worker's requests broke")
	require.Equal(t, 4-failed, completed)
	s := rt.Snapshot()
	require.Equal(t, int64(failed), s.Counters.Failed)
	require.Equal(t, 1, s.Count(sim.RoleDecode, sim.WorkerReady), "the crashed worker is gone")

	resp, err = http.Post(srv.URL+"/admin/crash", "application/json", strings.NewReader(`{"worker":"decode-9"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
}

func TestNeverReadyWorkersAndBrokenMetrics(t *testing.T) {
	e := testEngine(t, 1, 1, func(c *sim.GraphConfig) { c.Faults.NeverReady = true })
	e.Schedule(time.Second, func() { require.NoError(t, e.Scale(2, 2)) })
	e.RunUntilIdle(5 * time.Minute)
	s := e.Snapshot()
	require.Equal(t, 1, s.Count(sim.RolePrefill, sim.WorkerStarting), "still starting long after the start-up delay")
	require.Equal(t, 1, s.Count(sim.RoleDecode, sim.WorkerStarting))

	srv, _ := startServer(t, 1, 1, 1, ServerOptions{})
	for _, m := range []string{sim.MetricsError, sim.MetricsGarbage} {
		setFaults(t, srv.URL, sim.Faults{Metrics: m})
		_, err := observe.Scrape(context.Background(), http.DefaultClient, srv.URL+"/metrics", 1)
		require.Error(t, err, m)
	}
	setFaults(t, srv.URL, sim.Faults{})
	_, err := observe.Scrape(context.Background(), http.DefaultClient, srv.URL+"/metrics", 1)
	require.NoError(t, err)

	resp, err := http.Post(srv.URL+"/admin/faults", "application/json", strings.NewReader(`{"http_error_rate": 2}`))
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	require.Contains(t, string(data), "faults.http_error_rate: must be within [0, 1], got 2")
}
