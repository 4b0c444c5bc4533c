package gpu

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func TestDCGMExporterSamples(t *testing.T) {
	body, err := os.ReadFile("testdata/dcgm.prom")
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	src := &ScrapeSource{URLs: []string{srv.URL}, Node: "here", Source: schemas.GPUSourceDCGM}
	got, err := src.Read(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 2)
	g := got[0]
	require.Equal(t, "node-7", g.Node, "the exporter's Hostname label")
	require.Equal(t, 0, g.Index)
	require.Equal(t, "GPU-c466145e-0000", g.UUID)
	require.Equal(t, "NVIDIA H100 80GB HBM3", g.Name)
	require.Equal(t, schemas.GPUSourceDCGM, g.Source)
	require.Equal(t, 100.0, g.UtilizationPct)
	require.Equal(t, 630.7, g.PowerW)
	require.Equal(t, 3944.5, g.EnergyJ, "mJ -> J")
	require.Equal(t, int64(1490)<<20, g.MemoryUsedBytes, "MiB -> bytes")
	require.Equal(t, int64(1490+80069)<<20, g.MemoryTotalBytes, "used + free")
	require.Equal(t, int64(1980), g.SMClockMHz)
	require.Equal(t, int64(54), g.TemperatureC)
	require.Zero(t, g.LastXID)
	require.Equal(t, int64(79), got[1].LastXID)
	require.Equal(t, int64(1), got[1].XIDErrors)
}

// The simulator's modelled GPUs: power is the energy counter's rise over
// the simulator's clock; utilisation the computing time's.
func TestModelledSamplesFromTheSimulator(t *testing.T) {
	reads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// Between reads: 2 s of simulated time; decode-0 computed 1.5 s of
		// them at 691.6 W (70 W idle), prefill-0 none.
		clock := 10.0 + 2*float64(reads)
		e0 := 70*clock + (691.6-70)*1.5*float64(reads)
		e1 := 70 * clock
		fmt.Fprintf(w, "sim_virtual_time_seconds %g\n", clock)
		fmt.Fprintf(w, "sim_gpu_energy_joules_total{worker=\"decode-0\",state=\"ready\"} %g\n", e0)
		fmt.Fprintf(w, "sim_gpu_busy_seconds_total{worker=\"decode-0\",state=\"ready\"} %g\n", 1.5*float64(reads))
		fmt.Fprintf(w, "sim_gpu_energy_joules_total{worker=\"prefill-0\",state=\"ready\"} %g\n", e1)
		fmt.Fprintf(w, "sim_gpu_busy_seconds_total{worker=\"prefill-0\",state=\"ready\"} 0\n")
		reads++
	}))
	defer srv.Close()
	src := &ScrapeSource{URLs: []string{srv.URL}, Node: "n", Source: schemas.GPUSourceModelled}
	_, err := src.Read(context.Background())
	require.NoError(t, err)
	got, err := src.Read(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "sim-decode-0", got[0].UUID)
	// (70 W * 2 s + 621.6 W * 1.5 s) / 2 s = 536.2 W; 75% computing.
	require.InDelta(t, 536.2, got[0].PowerW, 1e-9)
	require.InDelta(t, 75, got[0].UtilizationPct, 1e-9)
	require.InDelta(t, 70, got[1].PowerW, 1e-9)
	require.Equal(t, schemas.GPUSourceModelled, got[0].Source)
}
