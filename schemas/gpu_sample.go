package schemas

import "time"

// Sources of GPU telemetry, recorded with every GPUSample.
const (
	GPUSourceNVML     = "nvml"     // read from the local driver
	GPUSourceDCGM     = "dcgm"     // scraped from a DCGM exporter
	GPUSourceModelled = "modelled" // the simulator's power model, not a measurement
)

// GPUSample is one GPU at one instant (one row of a case's gpu parts). A
// metric the device does not report is NaN (floats) or -1 (counters).
type GPUSample struct {
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	Index  int       `json:"index"`
	UUID   string    `json:"uuid"`
	Name   string    `json:"name"`
	Source string    `json:"source"`
	// UtilizationPct is the share of the last sample period in which a
	// kernel ran (NVML's GPU utilisation), 0-100.
	UtilizationPct   float64 `json:"utilization_pct"`
	MemoryUsedBytes  int64   `json:"memory_used_bytes"`
	MemoryTotalBytes int64   `json:"memory_total_bytes"`
	PowerW           float64 `json:"power_w"`
	// EnergyJ is the energy the GPU used since its driver loaded.
	EnergyJ      float64 `json:"energy_j"`
	SMClockMHz   int64   `json:"sm_clock_mhz"`
	TemperatureC int64   `json:"temperature_c"`
	// XIDErrors counts critical XID events seen since the sampler started;
	// LastXID is the latest one's code (0 for none).
	XIDErrors int64 `json:"xid_errors"`
	LastXID   int64 `json:"last_xid"`
}
