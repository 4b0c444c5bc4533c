package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/schemas"
)

// listing is every path under dir, to check a failed command left nothing.
func listing(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return err
	}))
	sort.Strings(out)
	return out
}

// badInputFiles writes the inputs the CLI rows use into dir.
func badInputFiles(t *testing.T, dir string) {
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	seed, err := os.ReadFile("../examples/seed.yaml")
	require.NoError(t, err)
	write("unknown-profile.yaml", strings.Replace(string(seed), "profile: h100-llama8b-seedfit", "profile: nope", 1))
	write("missing-trace.yaml", "name: m\ntrace: {path: "+filepath.Join(dir, "nowhere.jsonl")+"}\ncases: [{name: a, deployment: 1p1d}]\n")
	write("broken.yaml", "name: [unclosed\n")
	write("zero-scale.yaml", "name: m\ntime_scale: 0\ntrace: {path: t.jsonl}\ncases: [{name: a, deployment: 1p1d}]\n")
	write("empty.jsonl", "")
	write("bad.jsonl", `{"timestamp": 0, "input_length": 10, "output_length": 2}`+"\n"+`{"timestamp": "soon"}`+"\n")
	write("ok.jsonl", `{"timestamp": 0, "input_length": 10, "output_length": 2}`+"\n")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "adir"), 0o755))
}

// TestBadInputEverywhere tries bad inputs through the CLI and the
// simulator's HTTP API. Each must fail with exit status 2 (or the HTTP
// status named), with a message that names the input, and a CLI row must
// leave no file behind (partial or whole).
func TestBadInputEverywhere(t *testing.T) {
	t.Setenv(simserver.AdminTokenEnv, "")
	dir := t.TempDir()
	badInputFiles(t, dir)
	in := func(name string) string { return filepath.Join(dir, name) }
	npz := "../internal/calibrate/testdata/prefill_raw_data.npz"
	cli := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"validate: unknown profile", []string{"validate", in("unknown-profile.yaml")}, 2, `unknown-profile.yaml:13: backend.profile: unknown profile "nope"`},
		{"validate: no such file", []string{"validate", in("nope.yaml")}, 2, "nope.yaml"},
		{"validate: YAML syntax", []string{"validate", in("broken.yaml")}, 2, "broken.yaml:"},
		{"validate: time_scale 0", []string{"validate", in("zero-scale.yaml")}, 2, "zero-scale.yaml:2: time_scale: must be > 0"},
		{"validate: trace.path missing here is a warning", []string{"validate", in("missing-trace.yaml")}, 0, "warning: " + in("missing-trace.yaml") + ": trace.path: " + in("nowhere.jsonl") + " does not exist here"},
		{"trace stats: empty trace", []string{"trace", "stats", in("empty.jsonl")}, 2, "empty.jsonl: the trace holds no requests"},
		{"trace stats: bad line", []string{"trace", "stats", in("bad.jsonl")}, 2, "bad.jsonl:2:"},
		{"trace stats: no such file", []string{"trace", "stats", in("none.jsonl")}, 2, "none.jsonl"},
		{"replay: empty trace", []string{"replay", "--trace", in("empty.jsonl")}, 2, "empty.jsonl: the trace holds no requests"},
		{"replay: no --trace", []string{"replay"}, 2, "--trace is required"},
		{"replay: deployment 0p1d", []string{"replay", "--trace", in("ok.jsonl"), "--deployment", "0p1d"}, 2, "0p1d"},
		{"replay: unknown planner", []string{"replay", "--trace", in("ok.jsonl"), "--planner", "magic"}, 2, "magic"},
		{"replay: unknown profile", []string{"replay", "--trace", in("ok.jsonl"), "--profile", "nope"}, 2, `unknown profile "nope"`},
		{"replay: --out holds files", []string{"replay", "--trace", in("ok.jsonl"), "--out", in("")}, 2, "would be mixed with this replay's"},
		{"replay: --follow without a case", []string{"replay", "--trace", in("ok.jsonl"), "--follow", in("")}, 2, "not a live case's folder"},
		{"replay: bad --slo", []string{"replay", "--trace", in("ok.jsonl"), "--slo", "ttft=fast"}, 2, `--slo ttft: not a duration: "fast"`},
		{"replay: unknown graph", []string{"replay", "--trace", in("ok.jsonl"), "--graph", "mesh"}, 2, `unknown graph "mesh"`},
		{"trace synth: output is a directory", []string{"trace", "synth", "--output-file", in("adir")}, 2, "--output-file " + in("adir") + ": is a directory"},
		{"trace synth: negative duration", []string{"trace", "synth", "--time-duration", "-1", "--output-file", in("x.jsonl")}, 2, "time-duration"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"validate", "--colour", in("broken.yaml")}, 2, "unknown flag: --colour"},
		{"sim serve: negative port", []string{"sim", "serve", "--port", "-5"}, 2, "--port must be within 0..65535"},
		{"sim serve: port not a number", []string{"sim", "serve", "--port", "abc"}, 2, `invalid argument "abc" for "--port"`},
		{"sim serve: time scale 0", []string{"sim", "serve", "--time-scale", "0"}, 2, "--time-scale must be > 0"},
		{"sim serve: unknown profile", []string{"sim", "serve", "--profile", "nope"}, 2, `unknown profile "nope"`},
		{"sim serve: remote admin without a token", []string{"sim", "serve", "--admin-allow-remote"}, 2, "--admin-allow-remote needs --admin-token"},
		{"calibrate: no -o", []string{"calibrate", npz}, 2, "-o/--output-file is required"},
		{"calibrate: npz missing arrays", []string{"calibrate", npz, "-o", in("p.yaml")}, 2, "need one of decode_active_kv_tokens"},
		{"sweep: load scale 0", []string{"sweep", "--trace", in("ok.jsonl"), "--scales", "0,1", "--out", in("sweep")}, 2, "0"},
	}
	before := listing(t, dir)
	for _, c := range cli {
		t.Run("cli/"+c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			require.Equal(t, c.code, code, stderr)
			require.Contains(t, stderr, c.msg)
			require.Equal(t, before, listing(t, dir), "nothing written, nothing left half-written")
		})
	}

	prof, err := sim.LoadProfile(schemas.DefaultProfile)
	require.NoError(t, err)
	eng, err := sim.NewEngine(prof, sim.DefaultGraphConfig())
	require.NoError(t, err)
	rt := simserver.NewRealtime(eng, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rt.Run(ctx)
	srv := httptest.NewUnstartedServer(simserver.NewServer(rt, simserver.ServerOptions{Model: schemas.DefaultModel, StreamWriteTimeout: 200 * time.Millisecond}).Handler())
	// Small, fixed socket send buffers (no autotuning), so a client that
	// stops reading blocks the server's writes within a few kilobytes.
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()
	chat := func(extra string) string {
		return `{"model": "` + schemas.DefaultModel + `", "messages": [{"role": "user", "content": "hello there"}]` + extra + `}`
	}
	huge := `{"model": "` + schemas.DefaultModel + `", "messages": [{"role": "user", "content": "` + strings.Repeat("w ", 5<<20) + `"}]}`
	httpRows := []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model": "m", "messages": [`, 400, "could not parse the JSON body"},
		{"unknown model", "POST", "/v1/chat/completions", strings.Replace(chat(""), schemas.DefaultModel, "gpt-4", 1), 404, "The model `gpt-4` does not exist"},
		{"negative max_tokens", "POST", "/v1/chat/completions", chat(`, "max_tokens": -5`), 400, "max_tokens must be at least 1, got -5"},
		{"huge max_tokens", "POST", "/v1/chat/completions", chat(`, "max_tokens": 1000000`), 400, "maximum context length is 16384"},
		{"n > 1", "POST", "/v1/chat/completions", chat(`, "n": 3`), 400, "n must be 1"},
		{"10 MB body", "POST", "/v1/chat/completions", huge, 413, "larger than 8388608 bytes"},
		{"invalid UTF-8", "POST", "/v1/chat/completions", chat("") + "\xff\xfe", 400, "not valid UTF-8 (first invalid byte at offset"},
		{"no messages", "POST", "/v1/chat/completions", `{"model": "` + schemas.DefaultModel + `", "messages": []}`, 400, "messages must hold at least one message"},
		{"content of the wrong type", "POST", "/v1/chat/completions", `{"model": "` + schemas.DefaultModel + `", "messages": [{"role": "user", "content": 7}]}`, 400, "messages[0].content"},
		{"over-long prompt", "POST", "/v1/completions", `{"model": "` + schemas.DefaultModel + `", "prompt": "` + strings.Repeat("w ", 17000) + `"}`, 400, "maximum context length is 16384"},
		{"min_tokens over max_tokens", "POST", "/v1/completions", `{"model": "` + schemas.DefaultModel + `", "prompt": "hi", "max_tokens": 3, "min_tokens": 9}`, 400, "min_tokens must be within"},
		{"GET on a POST route", "GET", "/v1/chat/completions", "", 405, "Method Not Allowed"},
		{"admin: scale to -1 prefill workers", "POST", "/admin/scale", `{"prefill": -1}`, 400, "prefill"},
	}
	for _, c := range httpRows {
		t.Run("http/"+c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, c.status, resp.StatusCode, string(body))
			require.Contains(t, string(body), c.msg)
		})
	}

	t.Run("http/a client that stops reading is dropped", func(t *testing.T) {
		// In real time (so the request is still generating), a small
		// receive buffer and no reads: the server's writes block, its
		// deadline passes, and the request is aborted.
		eng, err := sim.NewEngine(prof, sim.DefaultGraphConfig())
		require.NoError(t, err)
		rt := simserver.NewRealtime(eng, 1)
		go rt.Run(ctx)
		srv := httptest.NewUnstartedServer(simserver.NewServer(rt, simserver.ServerOptions{Model: schemas.DefaultModel, StreamWriteTimeout: 200 * time.Millisecond}).Handler())
		srv.Listener = smallSendBuffers{srv.Listener}
		srv.Start()
		defer srv.Close()
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		conn, err := d.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		body := chat(`, "max_tokens": 15000, "stream": true`)
		fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		require.Eventually(t, func() bool {
			var aborted int64
			rt.Do(func(e *sim.Engine) { aborted = e.Snapshot().Counters.Aborted })
			return aborted >= 1
		}, 20*time.Second, 50*time.Millisecond, "the stalled stream is aborted")
		resp, err := http.Get(srv.URL + "/health")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "and the server goes on")
	})

	t.Run("http/thousands of idle connections", func(t *testing.T) {
		var idle []net.Conn
		defer func() {
			for _, c := range idle {
				c.Close()
			}
		}()
		for i := 0; i < 2000; i++ {
			c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			require.NoError(t, err)
			idle = append(idle, c)
		}
		start := time.Now()
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(chat(`, "max_tokens": 2`)))
		require.NoError(t, err)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
		require.Equal(t, 200, resp.StatusCode)
		require.Less(t, time.Since(start), 10*time.Second, "served beside 2000 idle connections")
	})
	require.GreaterOrEqual(t, len(cli)+len(httpRows)+2, 30)
}

// smallSendBuffers sets SO_SNDBUF to 4 KiB on every accepted connection.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}
