package gpu

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"plannerbench/internal/observe"
	"plannerbench/schemas"
)

// Names of the DCGM exporter's default counters (NVIDIA/dcgm-exporter
// etc/default-counters.csv, commit 00d6d344ea4a39112b211b9ff5af3d97e0bb51c2)
// and its labels.
const (
	DCGMUtil    = "DCGM_FI_DEV_GPU_UTIL"                 // %
	DCGMFBUsed  = "DCGM_FI_DEV_FB_USED"                  // MiB
	DCGMFBFree  = "DCGM_FI_DEV_FB_FREE"                  // MiB
	DCGMPower   = "DCGM_FI_DEV_POWER_USAGE"              // W
	DCGMEnergy  = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" // mJ since boot
	DCGMSMClock = "DCGM_FI_DEV_SM_CLOCK"                 // MHz
	DCGMTemp    = "DCGM_FI_DEV_GPU_TEMP"                 // C
	DCGMXID     = "DCGM_FI_DEV_XID_ERRORS"               // last XID
)

// Names the simulator exports for its modelled power (deploy/sim).
const (
	SimEnergy = observe.SimGPUEnergy
	SimBusy   = observe.SimGPUBusy
	SimClock  = observe.SimClock
)

// ScrapeSource reads GPU samples from Prometheus endpoints: a DCGM
// exporter's (where NVML is not local, as in Kubernetes) or the
// simulator's modelled power.
type ScrapeSource struct {
	URLs   []string
	HTTP   *http.Client
	Node   string
	Source string // schemas.GPUSourceDCGM or schemas.GPUSourceModelled
	// last holds each modelled GPU's previous energy and clock, for power.
	last map[string][3]float64 // energy, clock, busy
}

// Read scrapes every URL once.
func (s *ScrapeSource) Read(ctx context.Context) ([]Sample, error) {
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	var out []Sample
	for _, u := range s.URLs {
		families, err := scrape(ctx, client, u)
		if err != nil {
			return nil, err
		}
		switch s.Source {
		case schemas.GPUSourceModelled:
			out = append(out, s.modelled(families)...)
		default:
			out = append(out, s.dcgm(families)...)
		}
	}
	return out, nil
}

// Close does nothing.
func (s *ScrapeSource) Close() error { return nil }

func scrape(ctx context.Context, client *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	data, err := observe.Fetch(ctx, client, url)
	if err != nil {
		return nil, fmt.Errorf("GPUs: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("scrape GPUs %s: %w", url, err)
	}
	return families, nil
}

// series is one GPU's metrics by name.
type series struct {
	labels map[string]string
	values map[string]float64
}

// byGPU groups the families' metrics by the label key.
func byGPU(families map[string]*dto.MetricFamily, key string) map[string]*series {
	out := map[string]*series{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			id, ok := labels[key]
			if !ok {
				continue
			}
			s := out[id]
			if s == nil {
				s = &series{labels: labels, values: map[string]float64{}}
				out[id] = s
			}
			s.values[name] = observe.MetricValue(m)
		}
	}
	return out
}

func sortedKeys(m map[string]*series) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dcgm maps a DCGM exporter's series (one per gpu label) onto samples.
func (s *ScrapeSource) dcgm(families map[string]*dto.MetricFamily) []Sample {
	now := time.Now()
	gpus := byGPU(families, "gpu")
	var out []Sample
	for _, id := range sortedKeys(gpus) {
		g := gpus[id]
		idx, _ := strconv.Atoi(id)
		node := s.Node
		if h := g.labels["Hostname"]; h != "" {
			node = h
		}
		const mib = 1 << 20
		used, free := g.values[DCGMFBUsed], g.values[DCGMFBFree]
		smp := Sample{At: now, Node: node, Index: idx, UUID: g.labels["UUID"], Name: g.labels["modelName"], Source: schemas.GPUSourceDCGM,
			UtilizationPct: g.values[DCGMUtil], MemoryUsedBytes: int64(used * mib), MemoryTotalBytes: int64((used + free) * mib),
			PowerW: g.values[DCGMPower], EnergyJ: g.values[DCGMEnergy] / 1000, SMClockMHz: int64(g.values[DCGMSMClock]),
			TemperatureC: int64(g.values[DCGMTemp]), LastXID: int64(g.values[DCGMXID])}
		if smp.LastXID != 0 {
			smp.XIDErrors = 1 // DCGM exports the last XID only, not a count
		}
		out = append(out, smp)
	}
	return out
}

// modelled reads the simulator's per-worker energy and computing time: one
// modelled GPU a worker (a worker is one GPU at TP1), its power the energy
// over the simulator's clock since the last read.
func (s *ScrapeSource) modelled(families map[string]*dto.MetricFamily) []Sample {
	now := time.Now()
	clock := 0.0
	if f := families[SimClock]; f != nil && len(f.GetMetric()) > 0 {
		clock = observe.MetricValue(f.GetMetric()[0])
	}
	if s.last == nil {
		s.last = map[string][3]float64{}
	}
	gpus := byGPU(families, "worker")
	var out []Sample
	for i, id := range sortedKeys(gpus) {
		g := gpus[id]
		energy, ok := g.values[SimEnergy]
		if !ok {
			continue
		}
		smp := Sample{At: now, Node: s.Node, Index: i, UUID: "sim-" + id, Name: "modelled GPU (" + id + ")", Source: schemas.GPUSourceModelled, EnergyJ: energy}
		busy := g.values[SimBusy]
		if prev, ok := s.last[id]; ok && clock > prev[1] {
			smp.PowerW = (energy - prev[0]) / (clock - prev[1])
			smp.UtilizationPct = 100 * (busy - prev[2]) / (clock - prev[1])
		}
		s.last[id] = [3]float64{energy, clock, busy}
		out = append(out, smp)
	}
	return out
}
