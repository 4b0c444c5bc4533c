package endpoint

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy"
	"plannerbench/schemas"
)

// fakeEndpoint serves /v1/models and Dynamo-named /metrics from a file.
func fakeEndpoint(t *testing.T) *httptest.Server {
	metrics, err := os.ReadFile("../../internal/observe/testdata/dynamo_vllm.prom")
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"m"}]}`))
		case "/metrics":
			_, _ = w.Write(metrics)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func spec(t *testing.T, url, hook string) deploy.Spec {
	return deploy.Spec{Dir: filepath.Join(t.TempDir(), "case"), Node: "n1", Model: "m", TimeScale: 1, GPUsPerEngine: 1,
		Deployment: schemas.Deployment{Prefill: 2, Decode: 2},
		Backend:    schemas.Backend{Kind: BackendName, URL: url, Metrics: []string{url + "/metrics"}, ScaleCommand: hook}}
}

func TestEndpointScaledThroughTheHook(t *testing.T) {
	srv := fakeEndpoint(t)
	d := NewDeployer(deploy.Env{})
	hook := `echo "$PLANNERBENCH_PREFILL $PLANNERBENCH_DECODE $PLANNERBENCH_URL" >> targets.txt`
	sp := spec(t, srv.URL, hook)
	ctx := context.Background()
	ref, err := d.Up(ctx, sp, nil)
	require.NoError(t, err)
	require.True(t, ref.Scalable)
	require.Equal(t, "dynamo", ref.MetricsDialect)
	w, err := d.Scale(ctx, ref, schemas.Target{Prefill: 3, Decode: 2})
	require.NoError(t, err)
	// The fixture shows 1 prefill and 2 decode workers registered; the
	// other 2 prefill workers asked for are starting and hold GPUs.
	require.Equal(t, schemas.Workers{PrefillReady: 1, DecodeReady: 2, PrefillStarting: 2, DecodeStarting: 0, NumGPU: 5}, w)
	data, err := os.ReadFile(filepath.Join(sp.Dir, "targets.txt"))
	require.NoError(t, err)
	require.Equal(t, "2 2 "+srv.URL+"\n3 2 "+srv.URL+"\n", string(data), "Up set the case's deployment, then Scale the target")
	s, err := d.Observe(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, 2, s.DecodeWorkers)

	// A restarted worker finds it; a changed hook is another deployment.
	found, ok, err := d.Find(ctx, sp)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ref, found)
	other := sp
	other.Backend.ScaleCommand = "true"
	_, ok, _ = d.Find(ctx, other)
	require.False(t, ok)

	state, err := os.ReadFile(filepath.Join(sp.Dir, deploy.StateFile))
	require.NoError(t, err)
	require.Contains(t, string(state), "targets.txt", "the hook is kept in the case folder")
	require.NoError(t, d.Down(ctx, ref))
	require.NoError(t, d.Down(ctx, ref), "twice is fine")
	_, ok, _ = d.Find(ctx, sp)
	require.False(t, ok)
}

func TestEndpointHookRefusalsAndFailures(t *testing.T) {
	srv := fakeEndpoint(t)
	d := NewDeployer(deploy.Env{})
	ctx := context.Background()
	sp := spec(t, srv.URL, `if [ "$PLANNERBENCH_PREFILL" -gt 4 ]; then echo "no free GPU"; exit 3; fi; if [ "$PLANNERBENCH_DECODE" -gt 4 ]; then echo boom; exit 1; fi`)
	ref, err := d.Up(ctx, sp, nil)
	require.NoError(t, err)
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 5, Decode: 1})
	require.ErrorIs(t, err, deploy.ErrRefused)
	require.ErrorContains(t, err, "no free GPU")
	_, err = d.Scale(ctx, ref, schemas.Target{Prefill: 1, Decode: 5})
	require.Error(t, err)
	require.False(t, errors.Is(err, deploy.ErrRefused), "an ordinary failure is retried")
	require.ErrorContains(t, err, "boom")
	log, err := os.ReadFile(filepath.Join(sp.Dir, "scale.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "scale to 5p1d")
}

func TestEndpointWithoutHookCannotScale(t *testing.T) {
	srv := fakeEndpoint(t)
	d := NewDeployer(deploy.Env{})
	ref, err := d.Up(context.Background(), spec(t, srv.URL, ""), nil)
	require.NoError(t, err)
	require.False(t, ref.Scalable)
	_, err = d.Scale(context.Background(), ref, schemas.Target{Prefill: 1, Decode: 1})
	require.ErrorIs(t, err, deploy.ErrNotScalable)
}

func TestEndpointUpWaitsThenGivesUp(t *testing.T) {
	d := NewDeployer(deploy.Env{HTTP: &http.Client{Timeout: 200 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var lines []string
	_, err := d.Up(ctx, spec(t, "http://127.0.0.1:1", ""), func(s string) { lines = append(lines, s) })
	require.ErrorContains(t, err, "not answering")
	require.False(t, errors.Is(err, deploy.ErrInvalid), "retryable: the endpoint may come up")
	require.NotEmpty(t, lines)
	require.True(t, strings.HasPrefix(lines[0], "waiting for http://127.0.0.1:1/v1/models"))
}
