package extplanner

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The configuration scrapes each metrics URL as a job of its own, at its
// path, every second: the expected file is written out by hand from
// Prometheus's configuration reference.
func TestPrometheusConfig(t *testing.T) {
	got, err := PrometheusConfig([]string{"http://127.0.0.1:8000/metrics", "http://10.0.0.2:9090/worker/metrics", "http://h:1"})
	require.NoError(t, err)
	want := `
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - {job_name: deployment-0, metrics_path: /metrics, static_configs: [{targets: ["127.0.0.1:8000"]}]}
  - {job_name: deployment-1, metrics_path: /worker/metrics, static_configs: [{targets: ["10.0.0.2:9090"]}]}
  - {job_name: deployment-2, metrics_path: /metrics, static_configs: [{targets: ["h:1"]}]}
`
	var g, w any
	require.NoError(t, yaml.Unmarshal(got, &g))
	require.NoError(t, yaml.Unmarshal([]byte(want), &w))
	require.Equal(t, w, g)

	_, err = PrometheusConfig([]string{"127.0.0.1:8000"})
	require.ErrorContains(t, err, `metrics URL "127.0.0.1:8000"`)
}
