package extplanner

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// The JSON Schema documenting the HTTP protocol (an independent validator,
// santhosh-tekuri/jsonschema) accepts what plannerbench sends and the
// answers it acts on, and rejects the answers it refuses.
func TestHTTPProtocolSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	f, err := os.Open("../../schemas/external_planner_http.schema.json")
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	require.NoError(t, err)
	require.NoError(t, c.AddResource("protocol.json", doc))
	request, err := c.Compile("protocol.json#/$defs/Request")
	require.NoError(t, err)
	answer, err := c.Compile("protocol.json#/$defs/Answer")
	require.NoError(t, err)
	valid := func(s *jsonschema.Schema, v any) error {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		return s.Validate(inst)
	}

	cfg := schemas.DefaultPlannerConfig()
	s := schemas.Sample{At: 30 * time.Second, KVLoads: []float64{0.5}, AverageKVLoad: 0.5, PrefillQueueSize: 1, PrefillWorkers: 1, DecodeWorkers: 1, NumGPU: 2}
	require.NoError(t, valid(request, planner.ExternalRequestOf("planner", cfg, 3, 30*time.Second, []schemas.Sample{s, s})))
	require.NoError(t, valid(request, planner.ExternalRequestOf("planner", cfg, 1, 10*time.Second, nil)), "no samples: an empty list")

	for _, body := range []string{`{"prefill": 2, "decode": 3, "reason": "x"}`, `{"prefill": 0, "decode": 1, "extra": true}`} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		require.NoError(t, valid(answer, v), body)
		_, err := ParseAnswer([]byte(body))
		require.NoError(t, err, body)
	}
	for _, body := range []string{`{"prefill": -1, "decode": 3}`, `{"prefill": 1, "decode": 0}`, `{"prefill": 1}`, `{"prefill": 1.5, "decode": 1}`} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		require.Error(t, valid(answer, v), body)
		_, err := ParseAnswer([]byte(body))
		require.Error(t, err, "plannerbench refuses what the schema refuses: %s", body)
	}
}
