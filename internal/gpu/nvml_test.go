//go:build cgo

package gpu

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/stretchr/testify/require"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// h100s is go-nvml's mock of a DGX H100 (8 GPUs) with the readings the
// sampler asks for: GPU i runs at 10·i % utilisation, draws 100+50·i W,
// has used 1000·i J, clocks 1980 MHz and reads 30+i °C. GPU 7 reports no
// power (as some virtualised GPUs do). events receives XID events.
func h100s(t *testing.T, events chan nvml.EventData) *server.Server {
	t.Helper()
	srv := dgxh100.New()
	for i, d := range srv.Devices {
		dev := d.(*server.Device)
		i := i
		dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
			return nvml.Utilization{Gpu: uint32(10 * i), Memory: 5}, nvml.SUCCESS
		}
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) {
			if i == 7 {
				return 0, nvml.ERROR_NOT_SUPPORTED
			}
			return uint32(100_000 + 50_000*i), nvml.SUCCESS // milliwatts
		}
		dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return uint64(1_000_000 * i), nvml.SUCCESS } // mJ
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c != nvml.CLOCK_SM {
				return 0, nvml.ERROR_INVALID_ARGUMENT
			}
			return 1980, nvml.SUCCESS
		}
		dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return uint32(30 + i), nvml.SUCCESS }
		dev.GetSupportedEventTypesFunc = func() (uint64, nvml.Return) { return nvml.EventTypeXidCriticalError, nvml.SUCCESS }
		dev.RegisterEventsFunc = func(uint64, nvml.EventSet) nvml.Return { return nvml.SUCCESS }
	}
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) {
		return &mock.EventSet{
			WaitFunc: func(uint32) (nvml.EventData, nvml.Return) {
				select {
				case ev := <-events:
					return ev, nvml.SUCCESS
				default:
					return nvml.EventData{}, nvml.ERROR_TIMEOUT
				}
			},
			FreeFunc: func() nvml.Return { return nvml.SUCCESS },
		}, nvml.SUCCESS
	}
	srv.ErrorStringFunc = func(r nvml.Return) string { return "error " + string(rune('0'+int(r))) }
	return srv
}

func TestNVMLReadsEveryH100(t *testing.T) {
	events := make(chan nvml.EventData, 4)
	srv := h100s(t, events)
	src, err := NewNVML(srv, "node-a")
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, 8, src.Devices())
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src.now = func() time.Time { return at }

	events <- nvml.EventData{Device: srv.Devices[3], EventType: nvml.EventTypeXidCriticalError, EventData: 79}
	got, err := src.Read(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 8)
	for i, s := range got {
		require.Equal(t, at, s.At)
		require.Equal(t, "node-a", s.Node)
		require.Equal(t, i, s.Index)
		require.Equal(t, "NVIDIA H100 80GB HBM3", s.Name)
		require.NotEmpty(t, s.UUID)
		require.Equal(t, schemas.GPUSourceNVML, s.Source)
		require.Equal(t, float64(10*i), s.UtilizationPct)
		require.Equal(t, int64(80)<<30, s.MemoryTotalBytes, "the mock's H100 has 80 GiB")
		require.Equal(t, float64(1000*i), s.EnergyJ, "millijoules to joules")
		require.Equal(t, int64(1980), s.SMClockMHz)
		require.Equal(t, int64(30+i), s.TemperatureC)
	}
	require.Equal(t, 150.0, got[1].PowerW, "milliwatts to watts")
	require.True(t, math.IsNaN(got[7].PowerW), "a reading the GPU does not support is missing, not zero")
	require.Equal(t, int64(1), got[3].XIDErrors)
	require.Equal(t, int64(79), got[3].LastXID)
	require.Zero(t, got[2].XIDErrors)

	again, err := src.Read(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(1), again[3].XIDErrors, "an XID is counted once")
}

func TestNoNVMLIsSaidOnce(t *testing.T) {
	srv := dgxh100.New()
	srv.InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
	srv.ErrorStringFunc = func(nvml.Return) string { return "NVML Shared Library Not Found" }
	_, err := NewNVML(srv, "n")
	require.ErrorIs(t, err, ErrNoNVML)
	require.Contains(t, err.Error(), "Not Found")

	// The real library on a machine without an NVIDIA driver.
	if _, statErr := os.Stat("/dev/nvidiactl"); statErr != nil {
		_, err = NewNVML(nvml.New(), "n")
		require.ErrorIs(t, err, ErrNoNVML)
	}
}

// TestRealNVML samples the machine's own GPUs through the real library:
// opt in with PLANNERBENCH_NVML=1 on a machine with an NVIDIA driver. It
// writes the parts under $PLANNERBENCH_NVML_OUT (or a temporary folder),
// reads them back and logs every sample.
func TestRealNVML(t *testing.T) {
	if os.Getenv("PLANNERBENCH_NVML") != "1" {
		t.Skip("set PLANNERBENCH_NVML=1 on a GPU machine")
	}
	src, err := NewNVML(nvml.New(), "device")
	require.NoError(t, err)
	defer src.Close()
	require.Positive(t, src.Devices())
	out := os.Getenv("PLANNERBENCH_NVML_OUT")
	if out == "" {
		out = t.TempDir()
	}
	dir := casefolder.GPUPath(out)
	w, err := results.NewGPUWriter(dir)
	require.NoError(t, err)
	seconds := 10
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+500*time.Millisecond)
	defer cancel()
	reads, err := (&Sampler{Source: src, Interval: time.Second, OnError: func(err error) { t.Log("read:", err) },
		Sink: func(s []Sample) error {
			for _, x := range s {
				w.Add(x)
			}
			return w.Flush()
		}}).Run(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, reads, seconds)
	got, err := results.ReadGPU(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, got, reads*src.Devices())
	for _, s := range got {
		t.Logf("%s gpu%d %s %s: util %.0f%%, mem %d/%d MiB, power %.1f W, energy %.1f J, SM %d MHz, %d C, xid %d",
			s.At.Format("15:04:05.000"), s.Index, s.Name, s.UUID, s.UtilizationPct, s.MemoryUsedBytes>>20, s.MemoryTotalBytes>>20,
			s.PowerW, s.EnergyJ, s.SMClockMHz, s.TemperatureC, s.XIDErrors)
		require.Positive(t, s.MemoryTotalBytes)
	}
	first, last := got[0], got[len(got)-1]
	t.Logf("energy used over %.1f s: %.1f J (mean %.1f W)", last.At.Sub(first.At).Seconds(), last.EnergyJ-first.EnergyJ,
		(last.EnergyJ-first.EnergyJ)/last.At.Sub(first.At).Seconds())
}
