package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"plannerbench/activities/payload"
	"plannerbench/commands"
	"plannerbench/deploy"
	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/extplanner"
	"plannerbench/schemas"
)

// etcdServeEnv makes the test binary act as `plannerbench-worker etcd
// serve`, so StartPlannerEnv can start it as the worker starts itself.
const etcdServeEnv = "PLANNERBENCH_TEST_ETCD_SERVE"

func TestMain(m *testing.M) {
	commands.ActAs(etcdServeEnv, commands.NewEtcd())
	os.Exit(m.Run())
}

func envActivities(t *testing.T) *Activities {
	t.Setenv(etcdServeEnv, "1")
	exe, err := os.Executable()
	require.NoError(t, err)
	return &Activities{ResultsDir: t.TempDir(), Node: "n1", Env: deploy.Env{Executable: exe}}
}

// startEnv runs StartPlannerEnv in Temporal's activity test environment.
func startEnv(t *testing.T, a *Activities, in payload.PlannerEnvInput) (payload.PlannerEnvRef, error) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.StartPlannerEnv, in)
	var ref payload.PlannerEnvRef
	if err == nil {
		err = v.Get(&ref)
	}
	return ref, err
}

func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// dynamo-virtual without an etcd named: the case starts its own (this
// binary as `etcd serve`), clears the planner's keys, and starts the
// planner's command with ETCD_ENDPOINTS; StopPlannerEnv stops both.
func TestStartPlannerEnvDynamoVirtual(t *testing.T) {
	a := envActivities(t)
	ref := payload.CaseRef{Matrix: "m", Case: "c"}
	cmd := `echo "$ETCD_ENDPOINTS $PLANNERBENCH_NAMESPACE $DYN_NAMESPACE $PLANNERBENCH_URL" > env.txt; exec sleep 60`
	env, err := startEnv(t, a, payload.PlannerEnvInput{Case: ref,
		Deployment: schemas.DeploymentRef{URL: "http://frontend:8000"},
		External:   schemas.ExternalPlanner{Protocol: schemas.ProtocolDynamoVirtual, Namespace: "ns1", Command: cmd}})
	require.NoError(t, err)
	require.Len(t, env.Groups, 2, "etcd and the planner")
	require.Equal(t, "ns1", env.Namespace)
	dir := a.caseDir(ref)
	require.FileExists(t, filepath.Join(dir, casefolder.PlannerEnvFile))

	v, err := extplanner.DialVirtual(env.Etcd, "ns1")
	require.NoError(t, err)
	defer v.Close()
	keys, err := v.Read(context.Background())
	require.NoError(t, err)
	require.Equal(t, schemas.NoVirtualKeys, keys)
	require.NoError(t, a.VirtualComplete(context.Background(), payload.VirtualInput{Etcd: env.Etcd, Namespace: "ns1", DecisionID: 7}))
	keys, err = a.VirtualPoll(context.Background(), payload.VirtualInput{Etcd: env.Etcd, Namespace: "ns1"})
	require.NoError(t, err)
	require.Equal(t, 7, keys.ScaledDecisionID)

	require.Eventually(t, func() bool {
		data, err := os.ReadFile(filepath.Join(dir, "env.txt"))
		return err == nil && strings.TrimSpace(string(data)) == env.Etcd+" ns1 ns1 http://frontend:8000"
	}, 10*time.Second, 50*time.Millisecond, "the planner's command sees the etcd and namespace")

	require.NoError(t, a.StopPlannerEnv(context.Background(), env))
	for _, g := range env.Groups {
		require.Eventually(t, func() bool { return !groupAlive(g) }, 10*time.Second, 50*time.Millisecond, "group %d stopped", g)
	}
}

// HTTP protocol: the case waits for the planner's command to listen; a
// command that dies first is a clear, non-retried error naming its log.
func TestStartPlannerEnvHTTPWaitsForThePlanner(t *testing.T) {
	a := envActivities(t)
	ref := payload.CaseRef{Matrix: "m", Case: "dead"}
	_, err := startEnv(t, a, payload.PlannerEnvInput{Case: ref,
		External: schemas.ExternalPlanner{Protocol: schemas.ProtocolHTTP, URL: "http://127.0.0.1:1/", Command: "echo planner failed to start; exit 3"}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "the planner command exited")
	require.Contains(t, err.Error(), "planner.log")
	log, _ := os.ReadFile(filepath.Join(a.caseDir(ref), "planner.log"))
	require.Contains(t, string(log), "planner failed to start")

	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the example planner cannot run")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	port := srv.Listener.Addr().String()[strings.LastIndex(srv.Listener.Addr().String(), ":")+1:]
	srv.Close()
	repo, _ := filepath.Abs("..")
	env, err := startEnv(t, a, payload.PlannerEnvInput{Case: payload.CaseRef{Matrix: "m", Case: "py"},
		External: schemas.ExternalPlanner{Protocol: schemas.ProtocolHTTP, URL: "http://127.0.0.1:" + port + "/",
			Command: fmt.Sprintf("exec python3 %s/examples/planners/threshold.py %s", repo, port)}})
	require.NoError(t, err)
	defer a.StopPlannerEnv(context.Background(), env)
	res, err := a.ExternalAsk(context.Background(), payload.ExternalAskInput{URL: "http://127.0.0.1:" + port + "/", Timeout: 5 * time.Second,
		Request: schemas.ExternalRequest{Version: 1, Interval: 1, Samples: []schemas.Sample{{PrefillQueueSize: 3, AverageKVLoad: 0.5, PrefillWorkers: 1, DecodeWorkers: 1}},
			Workers: schemas.ExternalWorkers{Prefill: 1, Decode: 1}, Budget: schemas.ExternalBudget{MaxGPUs: 8, PrefillEngineNumGPU: 1, DecodeEngineNumGPU: 1, MinEndpoint: 1}}})
	require.NoError(t, err)
	require.Empty(t, res.Bad)
	require.Equal(t, schemas.ExternalAnswer{Prefill: 2, Decode: 1, Reason: "mean prefill queue 3.00, mean KV load 0.50"}, *res.Answer)
}

// A Prometheus started by the case scrapes the simulator's Dynamo-named
// metrics; the PromQL Dynamo's planner runs over the frontend's
// histograms answers. Needs the prometheus binary (Debian's package).
func TestPrometheusScrapesTheSimulatorsDynamoMetrics(t *testing.T) {
	if _, err := exec.LookPath("prometheus"); err != nil {
		t.Skip("prometheus is not installed (apt-get install prometheus): the Prometheus check is skipped")
	}
	prof, err := sim.LoadProfile("h100-llama8b")
	require.NoError(t, err)
	eng, err := sim.NewEngine(prof, sim.ForDeployment(schemas.Deployment{Prefill: 1, Decode: 1}))
	require.NoError(t, err)
	rt := simserver.NewRealtime(eng, 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rt.Run(ctx)
	simSrv := httptest.NewServer(simserver.NewServer(rt, simserver.ServerOptions{}).Handler())
	defer simSrv.Close()

	a := envActivities(t)
	env, err := startEnv(t, a, payload.PlannerEnvInput{Case: payload.CaseRef{Matrix: "m", Case: "prom"},
		Deployment: schemas.DeploymentRef{URL: simSrv.URL, MetricsURLs: []string{simSrv.URL + "/metrics"}},
		External:   schemas.ExternalPlanner{Protocol: schemas.ProtocolDynamoVirtual, Prometheus: schemas.PrometheusStart}})
	require.NoError(t, err)
	defer a.StopPlannerEnv(context.Background(), env)
	require.NotEmpty(t, env.Prometheus)

	promQuery := func(q string) (float64, bool) {
		resp, err := http.Get(env.Prometheus + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		return promScalar(resp.Body)
	}
	// increase() counts from the first sample: scraped once before the load.
	require.Eventually(t, func() bool { _, ok := promQuery(`sum(dynamo_frontend_requests_total)`); return ok },
		30*time.Second, 200*time.Millisecond, "Prometheus scrapes the simulator")
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = simSrv.URL + "/v1"
	client := openai.NewClientWithConfig(cfg)
	for range 3 { // streamed, as the load driver sends them: TTFT is observed
		stream, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: schemas.DefaultModel,
			Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hello there"}}, MaxTokens: 5, Stream: true})
		require.NoError(t, err)
		for {
			if _, err := stream.Recv(); err != nil {
				break
			}
		}
		stream.Close()
	}
	// Dynamo's planner: average TTFT over an interval from the histogram's
	// sum and count, increase(_sum[i])/increase(_count[i])
	// (components/src/dynamo/planner/utils/prometheus.py @002a7c31).
	query := `increase(dynamo_frontend_time_to_first_token_seconds_sum[1m])/increase(dynamo_frontend_time_to_first_token_seconds_count[1m])`
	var got float64
	require.Eventually(t, func() bool {
		v, ok := promQuery(`sum(dynamo_frontend_requests_total{model="deepseek-ai/deepseek-r1-distill-llama-8b",dynamo_namespace="dynamo"})`)
		return ok && v >= 3
	}, 30*time.Second, 500*time.Millisecond, "Prometheus scraped the request counter, with the labels the planner filters on")
	require.Eventually(t, func() bool {
		v, ok := promQuery(query)
		got = v
		return ok && v > 0 && !math.IsNaN(v)
	}, 30*time.Second, 500*time.Millisecond, "the planner's TTFT query answers")
	t.Logf("PromQL average TTFT over the simulator's histogram: %.4f s", got)
}

// promScalar reads the first value of an instant query's vector result.
func promScalar(r io.Reader) (float64, bool) {
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(r).Decode(&out) != nil || len(out.Data.Result) == 0 {
		return 0, false
	}
	s, _ := out.Data.Result[0].Value[1].(string)
	var v float64
	_, err := fmt.Sscan(s, &v)
	return v, err == nil
}
