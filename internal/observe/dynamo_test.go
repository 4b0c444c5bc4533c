package observe

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// Every value below is read off testdata/dynamo_vllm.prom by hand.
func TestParseDynamoNames(t *testing.T) {
	f, err := os.Open("testdata/dynamo_vllm.prom")
	require.NoError(t, err)
	defer f.Close()
	s, err := ParseMetricsAs(f, 1, DialectDynamo)
	require.NoError(t, err)
	require.Equal(t, 1, s.PrefillWorkers)
	require.Equal(t, 2, s.DecodeWorkers, "the unregistered worker is not counted")
	require.Equal(t, 3, s.NumGPU)
	// Workers in worker_id order: bc1 then bc2. bc1's usage is Dynamo's
	// kvstats (0.25) over vLLM's (0.99); bc2 has only vLLM's (0.05).
	require.Equal(t, []float64{0.25, 0.05}, s.KVUsages)
	// The load planner's KV load adds 0.02 a waiting request when slots
	// are active: bc1 0.25 + 4 * 0.02, bc2 0.05.
	require.InDeltaSlice(t, []float64{0.33, 0.05}, s.KVLoads, 1e-12)
	require.InDeltaSlice(t, []float64{0.3, 0.1}, s.KVDemands, 1e-12, "active decode blocks / total blocks")
	require.Equal(t, 2.0, s.PrefillQueueSize)
	require.Equal(t, 6000.0, s.PrefillQueuedTokens)
	require.Equal(t, 4.0, s.TotalQueuedRequests)
	require.Equal(t, 35.0, s.ActiveRequests)
	require.Equal(t, 123.0, s.RequestsReceived)
	require.Equal(t, 369000.0, s.PromptTokensReceived)
	require.Equal(t, 18000.0, s.OutputTokensRequested)

	_, err = ParseMetricsAs(strings.NewReader(""), 1, "prometheus")
	require.ErrorContains(t, err, `unknown metrics dialect "prometheus"`)
	_, err = ParseMetricsAs(strings.NewReader("not { metrics"), 1, DialectDynamo)
	require.Error(t, err)
	var empty schemas.Sample
	empty, err = ParseMetricsAs(strings.NewReader(""), 1, DialectDynamo)
	require.NoError(t, err)
	require.Zero(t, empty.DecodeWorkers)
}
