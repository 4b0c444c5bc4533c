//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"plannerbench/schemas"
)

// OpenLocal opens the machine's own GPUs through NVML.
func OpenLocal(node string) (LocalSource, error) { return NewNVML(nvml.New(), node) }

// NVMLSource reads the local GPUs through NVML. Build it with NewNVML from
// nvml.New() on a GPU node, or from go-nvml's mocks in tests.
type NVMLSource struct {
	lib     nvml.Interface
	node    string
	devices []nvmlDevice
	events  nvml.EventSet // nil when the driver offers no XID events
	now     func() time.Time
}

type nvmlDevice struct {
	dev     nvml.Device
	index   int
	uuid    string
	name    string
	xids    int64
	lastXID int64
}

// NewNVML initialises lib, finds its devices and registers for critical XID
// events where the devices support them. A library that cannot initialise
// (no driver) returns an error wrapping ErrNoNVML.
func NewNVML(lib nvml.Interface, node string) (src *NVMLSource, err error) {
	defer func() {
		if r := recover(); r != nil { // go-nvml panics when libnvidia-ml.so is missing
			src, err = nil, fmt.Errorf("%w: %v", ErrNoNVML, r)
		}
	}()
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("%w: init: %s", ErrNoNVML, lib.ErrorString(ret))
	}
	s := &NVMLSource{lib: lib, node: node, now: time.Now}
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		lib.Shutdown()
		return nil, fmt.Errorf("NVML device count: %s", lib.ErrorString(ret))
	}
	for i := 0; i < n; i++ {
		dev, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			lib.Shutdown()
			return nil, fmt.Errorf("NVML device %d: %s", i, lib.ErrorString(ret))
		}
		d := nvmlDevice{dev: dev, index: i}
		d.uuid, _ = dev.GetUUID()
		d.name, _ = dev.GetName()
		s.devices = append(s.devices, d)
	}
	s.registerXIDs()
	return s, nil
}

// registerXIDs asks for critical XID events on every device that has them;
// without them (a virtualised GPU, a mock) XIDErrors stays 0.
func (s *NVMLSource) registerXIDs() {
	set, ret := s.lib.EventSetCreate()
	if ret != nvml.SUCCESS || set == nil {
		return
	}
	registered := false
	for _, d := range s.devices {
		supported, ret := d.dev.GetSupportedEventTypes()
		if ret != nvml.SUCCESS || supported&nvml.EventTypeXidCriticalError == 0 {
			continue
		}
		if d.dev.RegisterEvents(nvml.EventTypeXidCriticalError, set) == nvml.SUCCESS {
			registered = true
		}
	}
	if !registered {
		set.Free()
		return
	}
	s.events = set
}

// Devices is the number of GPUs found.
func (s *NVMLSource) Devices() int { return len(s.devices) }

// Read takes one sample of every GPU.
func (s *NVMLSource) Read(ctx context.Context) ([]Sample, error) {
	s.drainXIDs()
	at := s.now()
	out := make([]Sample, 0, len(s.devices))
	for i := range s.devices {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, s.read(&s.devices[i], at))
	}
	return out, nil
}

func (s *NVMLSource) read(d *nvmlDevice, at time.Time) Sample {
	smp := Sample{At: at, Node: s.node, Index: d.index, UUID: d.uuid, Name: d.name, Source: schemas.GPUSourceNVML,
		UtilizationPct: math.NaN(), MemoryUsedBytes: -1, MemoryTotalBytes: -1, PowerW: math.NaN(), EnergyJ: math.NaN(),
		SMClockMHz: -1, TemperatureC: -1, XIDErrors: d.xids, LastXID: d.lastXID}
	if u, ret := d.dev.GetUtilizationRates(); ret == nvml.SUCCESS {
		smp.UtilizationPct = float64(u.Gpu)
	}
	if m, ret := d.dev.GetMemoryInfo(); ret == nvml.SUCCESS {
		smp.MemoryUsedBytes, smp.MemoryTotalBytes = int64(m.Used), int64(m.Total)
	}
	if mw, ret := d.dev.GetPowerUsage(); ret == nvml.SUCCESS {
		smp.PowerW = float64(mw) / 1000 // NVML reports milliwatts
	}
	if mj, ret := d.dev.GetTotalEnergyConsumption(); ret == nvml.SUCCESS {
		smp.EnergyJ = float64(mj) / 1000 // NVML reports millijoules
	}
	if mhz, ret := d.dev.GetClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		smp.SMClockMHz = int64(mhz)
	}
	if c, ret := d.dev.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
		smp.TemperatureC = int64(c)
	}
	return smp
}

// drainXIDs counts the XID events waiting, without blocking.
func (s *NVMLSource) drainXIDs() {
	if s.events == nil {
		return
	}
	for {
		ev, ret := s.events.Wait(0)
		if ret != nvml.SUCCESS {
			return // ERROR_TIMEOUT: none waiting
		}
		for i := range s.devices {
			if s.devices[i].dev == ev.Device {
				s.devices[i].xids++
				s.devices[i].lastXID = int64(ev.EventData)
			}
		}
	}
}

// Close frees the event set and shuts NVML down.
func (s *NVMLSource) Close() error {
	if s.events != nil {
		s.events.Free()
	}
	if ret := s.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("NVML shutdown: %s", s.lib.ErrorString(ret))
	}
	return nil
}
